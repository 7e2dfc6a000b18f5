import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { PaymentActivities } from '../activities/payments.js';
import type { SeatActivities } from '../activities/seats.js';
import type { TicketActivities } from '../activities/tickets.js';
import type { TwoPhaseActivities } from '../activities/two-phase-commit/activity.js';
import type { NotificationActivities } from '../activities/notifications.js';
import type { WaitlistActivities } from '../activities/waitlist.js';
import type { WaitlistNoticeActivities } from '../activities/waitlist-notices.js';
import type { WaitingRoomActivities } from '../activities/waiting-room.js';
import { nonRetryableStepFailures } from '../lib/failures.js';

const businessFailures = [...nonRetryableStepFailures];

// The saga's steps are local activities: they run in the worker inside the workflow task, so a
// booking costs one or two round trips to the Temporal server instead of nine (10 history events
// instead of 33). The dev server, one history shard on SQLite, is the throughput ceiling, and this
// measured 459 ms -> 135 ms p50 for one booking here. A step interrupted by a crash runs again on
// the next worker: every step is idempotent by keys derived from the workflow id.
// Compensations stay regular activities: unlimited retries, each visible in the Web UI.

/** Seat-lock and confirmation: database work, retried until it goes through or fails on business grounds. */
export const seats = proxyLocalActivities<SeatActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', nonRetryableErrorTypes: businessFailures },
});

/** Charging: transient gateway errors are retried with backoff, a bounded number of times. */
export const payments = proxyLocalActivities<PaymentActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 8, nonRetryableErrorTypes: businessFailures },
});

/** Ticket issue: a ticketing outage that outlasts the retries fails the saga, which then refunds. */
export const tickets = proxyLocalActivities<TicketActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 8, nonRetryableErrorTypes: businessFailures },
});

/** Compensations must eventually succeed: retried without limit. */
export const compensations = proxyActivities<SeatActivities & PaymentActivities & TicketActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Two-phase commit: one regular activity, visible in the Web UI. An attempt that cannot commit
 * (a coordinator crash, a gateway outage) is aborted everywhere and retried as a new transaction.
 */
export const atomicBooking = proxyActivities<TwoPhaseActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 8, nonRetryableErrorTypes: businessFailures },
});

/**
 * The waiting list's joins and leaves: one short statement each, answered to the customer's
 * request, so local (no extra round trip to the server); retried like the seat-lock.
 */
export const waitlistLine = proxyLocalActivities<WaitlistActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

/** Starting an offer's saga and telling its customer must eventually happen: retried without limit. */
export const waitlistOffers = proxyActivities<WaitlistActivities & WaitlistNoticeActivities & Pick<NotificationActivities, 'eventSchedule'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * The on-sale workflow's steps: short database transactions, retried until they go through (each
 * is idempotent under the queue row's lock); a tick that fails is simply the next tick's work.
 */
export const waitingRoomSteps = proxyActivities<WaitingRoomActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});
