import { proxyActivities } from '@temporalio/workflow';
import type { PaymentActivities } from '../activities/payments.js';
import type { SeatActivities } from '../activities/seats.js';
import type { TicketActivities } from '../activities/tickets.js';
import { BusinessFailure } from '../lib/reservations.js';

const businessFailures = [...Object.values(BusinessFailure), 'ReservationClosed'];

/** Seat-lock and confirmation: database work, retried until it goes through or fails on business grounds. */
export const seats = proxyActivities<SeatActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', nonRetryableErrorTypes: businessFailures },
});

/** Charging: transient gateway errors are retried with backoff, a bounded number of times. */
export const payments = proxyActivities<PaymentActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 8, nonRetryableErrorTypes: businessFailures },
});

/** Ticket issue: a ticketing outage that outlasts the retries fails the saga, which then refunds. */
export const tickets = proxyActivities<TicketActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 8, nonRetryableErrorTypes: businessFailures },
});

/** Compensations must eventually succeed: retried without limit. */
export const compensations = proxyActivities<SeatActivities & PaymentActivities & TicketActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
