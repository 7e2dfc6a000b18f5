import type { ApplicationFailure } from '@temporalio/common';
import type postgres from 'postgres';
import { failureTypeOf, reasonOf } from '../../lib/failures.js';
import { closedStatuses, reservationWorkflowId, type ReservationRecord, type ReservationStatus } from '../../lib/reservations.js';
import { appendOutbox } from './outbox.js';
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

/**
 * Inserts or moves the reservation row to `outcome`, and reports the change to the outbox. A terminal
 * row is never moved back: `released` rows are tombstones that a late holdSeats respects.
 */
export async function recordReservation(tx: Tx, request: ReservationRecord, outcome: ReservationOutcome, notify = true): Promise<void> {
  const rows = await tx<{ customer_id: string }[]>`
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
    RETURNING customer_id`;
  if (rows.length > 0) {
    await appendOutbox(tx, request.eventId, 'reservation', {
      id: request.reservationId,
      customerId: request.customerId,
      status: outcome.status,
      amountCents: request.amountCents,
      refundedCents: outcome.refundedCents ?? 0,
      ...(outcome.failureReason ? { failureReason: outcome.failureReason } : {}),
      ...(outcome.lockWaitMs !== undefined ? { lockWaitMs: outcome.lockWaitMs } : {}),
    }, notify);
  }
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
