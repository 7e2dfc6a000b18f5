import { connectAs, type DatabaseHandle } from '../db/client.js';
import { createPaymentActivities } from '../activities/payments.js';
import { withCircuitBreaker } from '../activities/payment-breaker.js';
import { createSimulatedGateway, type PaymentGateway } from '../activities/payment-gateway.js';
import { createSeatActivities } from '../activities/seats.js';
import { createNotificationActivities } from '../activities/notifications.js';
import { createTicketActivities } from '../activities/tickets.js';
import { createWaitlistActivities } from '../activities/waitlist.js';
import { createWaitlistNoticeActivities } from '../activities/waitlist-notices.js';
import { createWaitlistSagas } from './waitlist-sagas.js';
import { createWaitingRoomActivities } from '../activities/waiting-room.js';
import {
  createChargeParticipant,
  createCoordinator,
  createSeatSaleParticipant,
  createTicketParticipant,
  createTwoPhaseActivities,
  startLiveness,
  type Coordinator,
  type CoordinatorHooks,
} from '../activities/two-phase-commit/index.js';
import { serviceDatabaseUrl, type Config } from '../lib/config.js';
import { createLogger, type Logger } from '../lib/logger.js';

export interface ActivityResources {
  activities: ReturnType<typeof createSeatActivities> &
    ReturnType<typeof createPaymentActivities> &
    ReturnType<typeof createTicketActivities> &
    ReturnType<typeof createTwoPhaseActivities> &
    ReturnType<typeof createNotificationActivities> &
    ReturnType<typeof createWaitlistActivities> &
    ReturnType<typeof createWaitlistNoticeActivities> &
    ReturnType<typeof createWaitingRoomActivities>;
  /** The two-phase-commit coordinator, for the recovery loop. */
  coordinator: Coordinator;
  close(): Promise<void>;
}

/** The gateway PAYMENT_GATEWAY names (lib/config.ts refuses a production config that names none). */
function configuredGateway(cfg: Config): PaymentGateway {
  switch (cfg.PAYMENT_GATEWAY) {
    case 'simulated':
      return createSimulatedGateway({ failureRate: cfg.PAYMENT_FAILURE_RATE, latencyMs: cfg.PAYMENT_LATENCY_MS, downFile: cfg.PAYMENT_GATEWAY_DOWN_FILE });
  }
}

/** Every activity, each module connected as its own service role. */
export function createActivities(cfg: Config, options: { gateway?: PaymentGateway; poolSize?: number; hooks?: CoordinatorHooks; logger?: Logger } = {}): ActivityResources {
  // Five pools per worker process; keep the sum well under Postgres' 100 connections.
  const max = options.poolSize ?? 5;
  // The waiting room is the API's data: its on-sale activities connect as the API's role.
  const handles: DatabaseHandle[] = [
    connectAs('booking', { cfg, max }),
    connectAs('payments', { cfg, max }),
    connectAs('ticketing', { cfg, max }),
    connectAs('coordinator', { cfg, max: 2 }),
    connectAs('notify', { cfg, max: 2 }),
    connectAs('api', { cfg, max: 2 }),
  ];
  const [booking, payments, ticketing, log, notify, waitroom] = handles as [DatabaseHandle, DatabaseHandle, DatabaseHandle, DatabaseHandle, DatabaseHandle, DatabaseHandle];
  const logger = options.logger ?? createLogger('worker');
  // One breaker per process, shared by the saga's charges and two-phase commit's: both see the same gateway.
  const gateway = withCircuitBreaker(options.gateway ?? configuredGateway(cfg), {
    threshold: cfg.PAYMENT_BREAKER_THRESHOLD,
    halfOpenAfterMs: cfg.PAYMENT_BREAKER_HALF_OPEN_MS,
    onStateChange: (state, lastError) => {
      if (state === 'open') logger.warn({ lastError: lastError instanceof Error ? lastError.message : String(lastError), threshold: cfg.PAYMENT_BREAKER_THRESHOLD, halfOpenAfterMs: cfg.PAYMENT_BREAKER_HALF_OPEN_MS }, 'payment gateway circuit open: new charges fail at once');
      else logger.info({ state }, `payment gateway circuit ${state === 'closed' ? 'closed: charging again' : 'half-open: one trial charge'}`);
    },
  });
  // Phase 2 gets connections of its own: a COMMIT PREPARED that queued behind bookings waiting for
  // the very rows it would release would wait for their lock timeout (measured: 15 s stalls).
  const finish: DatabaseHandle[] = [connectAs('booking', { cfg, max: 2 }), connectAs('payments', { cfg, max: 2 }), connectAs('ticketing', { cfg, max: 2 })];
  const [finishBooking, finishPayments, finishTicketing] = finish as [DatabaseHandle, DatabaseHandle, DatabaseHandle];
  const liveness = startLiveness(serviceDatabaseUrl('coordinator', cfg));
  const coordinator = createCoordinator({
    log: log.sql,
    liveness,
    stores: { booking: finishBooking.sql, payments: finishPayments.sql, ticketing: finishTicketing.sql },
    booking: createSeatSaleParticipant(booking.sql, { lockTimeoutMs: cfg.TWO_PC_LOCK_TIMEOUT_MS }),
    payments: createChargeParticipant(payments.sql, gateway),
    ticketing: createTicketParticipant(ticketing.sql),
    ...(options.hooks ? { hooks: options.hooks } : {}),
  });
  const waitlistSagas = createWaitlistSagas(cfg);
  return {
    activities: {
      ...createSeatActivities(booking.sql, {
        holdCaps: { maxSeatsPerEvent: cfg.HOLD_MAX_SEATS_PER_EVENT, maxOpenPerCustomer: cfg.HOLD_MAX_OPEN_PER_CUSTOMER },
        bestAvailableClaim: cfg.BEST_AVAILABLE_CLAIM,
        waitlist: { offerTtlMs: cfg.WAITLIST_OFFER_TTL_MS, announce: waitlistSagas.announce },
      }),
      ...createPaymentActivities(payments.sql, gateway),
      ...createTicketActivities(ticketing.sql),
      ...createTwoPhaseActivities(coordinator),
      ...createNotificationActivities(notify.sql, { offsetsSeconds: cfg.REMINDER_OFFSETS_SECONDS, batchSize: cfg.REMINDER_BATCH_SIZE }),
      ...createWaitlistActivities(booking.sql, waitlistSagas.startSaga),
      ...createWaitlistNoticeActivities(notify.sql),
      ...createWaitingRoomActivities(waitroom.sql, {
        admissionWindowSeconds: cfg.QUEUE_ADMISSION_WINDOW_SECONDS,
        limits: { min: cfg.QUEUE_MIN_WINDOW, max: cfg.QUEUE_MAX_WINDOW, targetLatencyMs: cfg.QUEUE_TARGET_LATENCY_MS },
        tickMs: cfg.QUEUE_TICK_MS,
        drawGraceMs: cfg.QUEUE_DRAW_GRACE_MS,
        prepareForBookings: async () => {
          await Promise.all([booking, payments, ticketing].map((handle) => handle.openAll()));
        },
      }),
    },
    coordinator,
    close: async () => {
      await Promise.all([...handles, ...finish].map((handle) => handle.close()).concat(liveness.close(), waitlistSagas.close()));
    },
  };
}
