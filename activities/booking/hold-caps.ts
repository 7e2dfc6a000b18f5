import { ApplicationFailure } from '@temporalio/common';
import type postgres from 'postgres';
import { Failure } from '../../lib/failures.js';
import type { HoldLimitDetails, ReservationRequest } from '../../lib/reservations.js';
import { SeatsTaken } from './seat-claims.js';

type Tx = postgres.TransactionSql;

export interface HoldCaps {
  /** Seats (or units) pending or held by one customer for one event. */
  maxSeatsPerEvent: number;
  /** Reservations pending or held by one customer, over every event. */
  maxOpenPerCustomer: number;
}

/**
 * Serializes the seat claims of one customer (every event): two of their holds cannot both count
 * the other as absent. Taken before any seat row, so the lock order is customer, then seats. Its
 * key space (seed 1) is not the reservations' (seed 0).
 */
export async function lockCustomer(tx: Tx, customerId: string): Promise<void> {
  await tx`SELECT pg_advisory_xact_lock(hashtextextended(${customerId}, 1))`;
}

export const holdLimitFailure = (details: HoldLimitDetails): SeatsTaken =>
  new SeatsTaken(
    ApplicationFailure.create({
      type: Failure.HoldLimitReached,
      message: details.per === 'event' ? `Already ${details.held} seat(s) pending or held for this event, at most ${details.limit}` : `Already ${details.held} reservation(s) pending or held, at most ${details.limit}`,
      nonRetryable: true,
      details: [details],
    }),
  );

/**
 * Throws (a SeatsTaken, so the claim is rolled back and the reservation recorded as failed) when
 * this request would take the customer past a cap. Runs under lockCustomer, after the claim, so a
 * request for seats someone else has is still told seats_unavailable.
 */
export async function enforceHoldCaps(tx: Tx, request: ReservationRequest, caps: HoldCaps): Promise<void> {
  const [open] = await tx<{ reservations: number; seats: number }[]>`
    SELECT count(*)::int AS reservations, coalesce(sum(quantity) FILTER (WHERE event_id = ${request.eventId}), 0)::int AS seats
    FROM booking.reservations
    WHERE customer_id = ${request.customerId} AND status IN ('pending', 'held') AND id <> ${request.reservationId}`;
  const seats = open?.seats ?? 0;
  const reservations = open?.reservations ?? 0;
  if (seats + request.quantity > caps.maxSeatsPerEvent) throw holdLimitFailure({ limit: caps.maxSeatsPerEvent, held: seats, per: 'event' });
  if (reservations + 1 > caps.maxOpenPerCustomer) throw holdLimitFailure({ limit: caps.maxOpenPerCustomer, held: reservations, per: 'customer' });
}
