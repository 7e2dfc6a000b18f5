import type { ApplicationFailure } from '@temporalio/common';
import type postgres from 'postgres';
import { failureTypeOf, reasonOf } from '../../lib/failures.js';
import { closedStatuses, reservationWorkflowId, type ReservationRecord, type ReservationStatus } from '../../lib/reservations.js';
import { OUTBOX_CHANNEL } from '../../db/channels.js';
import type { SeatChange } from './outbox.js';
import type { SeatsTaken } from './seat-claims.js';

type Tx = postgres.TransactionSql;

export interface ReservationOutcome {
  status: ReservationStatus;
  seatIds: string[];
  expiresAt?: Date;
  failureReason?: string;
  refundedCents?: number;
  /** A failed seat claim: how long it waited for row locks (reported with the change). */
  lockWaitMs?: number;
}

/** Serializes every change of one reservation: a late hold can never overtake its own release. */
export async function lockReservation(tx: Tx, reservationId: string): Promise<ReservationStatus | undefined> {
  await tx`SELECT pg_advisory_xact_lock(hashtextextended(${reservationId}, 0))`;
  const [row] = await tx<{ status: ReservationStatus }[]>`SELECT status FROM booking.reservations WHERE id = ${reservationId}`;
  return row?.status;
}

/** Seat changes reported to the outbox with the reservation's (in the same statement). */
export interface SeatsChanged {
  changes: SeatChange[];
  lockWaitMs?: number;
}

/** lockReservation's lock, for a step that does not need the status. */
export async function lockReservationOnly(tx: Tx, reservationId: string): Promise<void> {
  await tx`SELECT pg_advisory_xact_lock(hashtextextended(${reservationId}, 0))`;
}

/**
 * Inserts or moves the reservation row to `outcome`, and reports the change to the outbox, with the
 * seat changes if given (one outbox row each, seats first). A terminal row is never moved back:
 * `released` rows are tombstones that a late holdSeats respects. One statement, NOTIFY included: a
 * step's round trips are what a booking waits for while it holds its locks.
 */
export async function recordReservation(tx: Tx, request: ReservationRecord, outcome: ReservationOutcome, notify = true, seats?: SeatsChanged): Promise<void> {
  const reservationPayload = {
    id: request.reservationId,
    customerId: request.customerId,
    status: outcome.status,
    amountCents: request.amountCents,
    refundedCents: outcome.refundedCents ?? 0,
    ...(outcome.failureReason ? { failureReason: outcome.failureReason } : {}),
    ...(outcome.lockWaitMs !== undefined ? { lockWaitMs: outcome.lockWaitMs } : {}),
  };
  const seatsPayload = seats && seats.changes.length > 0 ? { reservationId: request.reservationId, changes: seats.changes, ...(seats.lockWaitMs !== undefined ? { lockWaitMs: seats.lockWaitMs } : {}) } : null;
  await tx`
    WITH recorded AS (
      INSERT INTO booking.reservations AS r (id, event_id, customer_id, workflow_id, status, seat_ids, quantity, amount_cents, refunded_cents, currency, failure_reason, expires_at)
      VALUES (${request.reservationId}, ${request.eventId}, ${request.customerId}, ${reservationWorkflowId(request.reservationId)}, ${outcome.status},
              ${outcome.seatIds}, ${request.quantity}, ${request.amountCents}, ${outcome.refundedCents ?? 0}, ${request.currency},
              ${outcome.failureReason ?? null}, ${outcome.expiresAt?.toISOString() ?? null}::timestamptz)
      ON CONFLICT (id) DO UPDATE SET
        status = excluded.status,
        failure_reason = coalesce(r.failure_reason, excluded.failure_reason),
        refunded_cents = excluded.refunded_cents,
        expires_at = excluded.expires_at,
        updated_at = now()
      WHERE (r.status, r.refunded_cents) IS DISTINCT FROM (excluded.status, excluded.refunded_cents)
        AND r.status <> ALL(${[...closedStatuses]}::booking.reservation_status[])
      RETURNING customer_id
    ), reported AS (
      INSERT INTO booking.outbox (event_id, kind, payload)
      SELECT ${request.eventId}, change.kind, change.payload
      FROM (VALUES (1, 'seats', ${seatsPayload === null ? null : JSON.stringify(seatsPayload)}::jsonb), (2, 'reservation', ${JSON.stringify(reservationPayload)}::jsonb)) AS change(ord, kind, payload)
      WHERE change.payload IS NOT NULL AND (change.kind = 'seats' OR EXISTS (SELECT 1 FROM recorded))
      ORDER BY change.ord
      RETURNING 1
    )
    SELECT pg_notify(${OUTBOX_CHANNEL}, ${request.eventId}) FROM (SELECT 1 FROM reported LIMIT 1) AS any_change WHERE ${notify}`;
}

/** A reservation whose seats could not be claimed, recorded as failed (a tombstone); returns the failure to throw. */
export async function recordClaimFailure(sql: postgres.Sql, request: ReservationRecord, taken: SeatsTaken): Promise<ApplicationFailure> {
  const reason = reasonOf(failureTypeOf(taken.failure.type));
  await sql.begin(async (tx) => {
    await lockReservation(tx, request.reservationId);
    await recordReservation(tx, request, { status: 'failed', seatIds: request.seatIds, failureReason: reason, ...(taken.lockWaitMs !== undefined ? { lockWaitMs: taken.lockWaitMs } : {}) });
  });
  return taken.failure;
}
