import { ApplicationFailure } from '@temporalio/common';
import type postgres from 'postgres';
import { Failure } from '../../lib/failures.js';
import type { ReservationRequest } from '../../lib/reservations.js';
import { allSeatIds } from '../../lib/seating.js';

type Tx = postgres.TransactionSql;

/** Creates the event's seat rows the first time anyone books it. */
export async function ensureInventory(tx: Tx, request: ReservationRequest): Promise<void> {
  const created = await tx`
    INSERT INTO booking.inventories (event_id, capacity) VALUES (${request.eventId}, ${request.capacity})
    ON CONFLICT (event_id) DO NOTHING RETURNING event_id`;
  if (created.length === 0) return;
  if (request.seating === 'general') {
    await tx`
      INSERT INTO booking.seats (event_id, seat_id, position)
      SELECT ${request.eventId}, 'GA-' || n, n FROM generate_series(1, ${request.capacity}::int) AS n`;
  } else {
    const ids = allSeatIds({ type: 'reserved', rows: request.rows ?? 0, seatsPerRow: request.seatsPerRow ?? 0 });
    await tx`
      INSERT INTO booking.seats (event_id, seat_id, position)
      SELECT ${request.eventId}, id, ord FROM unnest(${ids}::text[]) WITH ORDINALITY AS t(id, ord)`;
  }
}

/** The status claimed seats take: held by the saga's first step, sold outright under two-phase commit. */
export type ClaimedStatus = 'held' | 'sold';

async function claimReservedSeats(tx: Tx, request: ReservationRequest, as: ClaimedStatus = 'held'): Promise<{ claimed: string[]; taken: string[] }> {
  // Lock in one order (seat id) so two overlapping requests queue instead of deadlocking.
  const rows = await tx<{ seat_id: string; status: string }[]>`
    SELECT seat_id, status FROM booking.seats
    WHERE event_id = ${request.eventId} AND seat_id = ANY(${request.seatIds}::text[])
    ORDER BY seat_id FOR UPDATE`;
  const free = new Set(rows.filter((row) => row.status === 'available').map((row) => row.seat_id));
  const taken = request.seatIds.filter((id) => !free.has(id));
  if (taken.length > 0) return { claimed: [], taken };
  await tx`
    UPDATE booking.seats SET status = ${as}, reservation_id = ${request.reservationId}, updated_at = now()
    WHERE event_id = ${request.eventId} AND seat_id = ANY(${request.seatIds}::text[])`;
  return { claimed: request.seatIds, taken: [] };
}

async function claimGeneralAdmission(tx: Tx, request: ReservationRequest, as: ClaimedStatus = 'held'): Promise<string[]> {
  // Start at a random position: everyone racing for the lowest free unit is the slowest pattern.
  const start = 1 + Math.floor(Math.random() * request.capacity);
  const pick = (from: number, to: number, limit: number) => tx<{ seat_id: string }[]>`
    UPDATE booking.seats SET status = ${as}, reservation_id = ${request.reservationId}, updated_at = now()
    WHERE (event_id, seat_id) IN (
      SELECT event_id, seat_id FROM booking.seats
      WHERE event_id = ${request.eventId} AND status = 'available' AND position >= ${from} AND position < ${to}
      ORDER BY position LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING seat_id`;
  const first = await pick(start, request.capacity + 1, request.quantity);
  const rest = first.length < request.quantity ? await pick(1, start, request.quantity - first.length) : [];
  return [...first, ...rest].map((row) => row.seat_id);
}

export class SeatsTaken extends Error {
  constructor(
    readonly failure: ApplicationFailure,
    /** How long the claim waited for row locks before it found the seats taken. */
    readonly lockWaitMs?: number,
  ) {
    super(failure.message);
  }
}

export const eventNotOnSale = () => new SeatsTaken(ApplicationFailure.create({ type: Failure.EventNotOnSale, message: 'The event is no longer on sale', nonRetryable: true }));

/** Bookings stop when the event starts, by the database's clock (the request says when; older requests do not). */
export async function hasStarted(tx: Tx, request: Pick<ReservationRequest, 'startsAt'>): Promise<boolean> {
  if (!request.startsAt) return false;
  const [row] = await tx<{ started: boolean }[]>`SELECT now() >= ${request.startsAt}::timestamptz AS started`;
  return row?.started ?? false;
}

/**
 * Claims exactly the requested seats (or quantity), all or nothing, or throws SeatsTaken. Reports
 * how long it took, waiting for other transactions' row locks included: the lock-wait figure of
 * docs/saga-vs-2pc.md, written to the outbox with the change.
 */
export async function claimSeats(tx: Tx, request: ReservationRequest, as: ClaimedStatus): Promise<{ seatIds: string[]; lockWaitMs: number }> {
  const asked = Date.now();
  if (request.seating === 'reserved') {
    const result = await claimReservedSeats(tx, request, as);
    if (result.taken.length > 0) {
      throw new SeatsTaken(
        ApplicationFailure.create({ type: Failure.SeatsUnavailable, message: `Seats no longer available: ${result.taken.join(', ')}`, nonRetryable: true, details: [result.taken] }),
        Date.now() - asked,
      );
    }
    return { seatIds: result.claimed, lockWaitMs: Date.now() - asked };
  }
  const claimed = await claimGeneralAdmission(tx, request, as);
  if (claimed.length < request.quantity) {
    throw new SeatsTaken(ApplicationFailure.create({ type: Failure.SoldOut, message: `Fewer than ${request.quantity} tickets left`, nonRetryable: true }), Date.now() - asked);
  }
  return { seatIds: claimed, lockWaitMs: Date.now() - asked };
}
