import type postgres from 'postgres';
import type { ReservationRequest, ReservationStatus } from '../../lib/reservations.js';
import { allSeatIds } from '../../lib/seating.js';

type Tx = postgres.TransactionSql;

/** What holdSeats must know before it claims, read in one statement (readHoldState). */
export interface HoldState {
  /** The reservation's recorded status, if it has a row. */
  status?: ReservationStatus;
  /** Seats this reservation already holds (a retry after a commit, or a waiting-list offer), in position order. */
  already: string[];
  /** The recorded hold's expiry (a waiting-list offer's is set by the hand-off), if any. */
  expiresAt?: string;
  /** Undefined when the inventory row is not in the statement's snapshot (created by this or a concurrent first booking). */
  closed?: boolean;
  started: boolean;
  /** The customer's other pending or held reservations, over every event, and their seats for this event. */
  open: { reservations: number; seats: number };
}

/**
 * The reservation's lock (lockReservation's), then the customer's, in one round trip. The customer's
 * serializes the seat claims of one customer (every event): two of their holds cannot both count the
 * other as absent. Taken before any seat row, so the lock order is reservation, customer, then seats;
 * its key space (seed 1) is not the reservations' (seed 0). A statement of its own: the reads it
 * guards take their snapshot after both locks are granted.
 */
export async function lockReservationAndCustomer(tx: Tx, reservationId: string, customerId: string): Promise<void> {
  await tx`SELECT pg_advisory_xact_lock(hashtextextended(${reservationId}, 0)), pg_advisory_xact_lock(hashtextextended(${customerId}, 1))`;
}

/**
 * Creates the event's seat rows the first time anyone books it (ensureInventory) and reads, in the
 * same statement: the reservation's status and seats, whether the event is closed (locking the
 * inventory row FOR SHARE, so a cancellation waits for this hold) or started, and the customer's open
 * holds for the caps. Counting the caps before the claim is as exact as after it: under the
 * customer's lock only this transaction can add to them, and a concurrent confirm or release only
 * lowers them, exactly as it could after a later count.
 */
export async function readHoldState(tx: Tx, request: ReservationRequest): Promise<HoldState> {
  const seeded =
    request.seating === 'general'
      ? tx`SELECT ${request.eventId}, 'GA-' || n, n FROM created, generate_series(1, ${request.capacity}::int) AS n`
      : tx`SELECT ${request.eventId}, id, ord FROM created, unnest(${allSeatIds({ type: 'reserved', rows: request.rows ?? 0, seatsPerRow: request.seatsPerRow ?? 0 })}::text[]) WITH ORDINALITY AS t(id, ord)`;
  const [row] = await tx<{ status: ReservationStatus | null; expires_at: Date | string | null; already: string[]; closed: boolean | null; started: boolean; open_reservations: number; open_seats: number }[]>`
    WITH created AS (
      INSERT INTO booking.inventories (event_id, capacity) VALUES (${request.eventId}, ${request.capacity})
      ON CONFLICT (event_id) DO NOTHING RETURNING event_id
    ), seeded AS (
      INSERT INTO booking.seats (event_id, seat_id, position) ${seeded}
    ), open AS (
      SELECT count(*)::int AS reservations, coalesce(sum(quantity) FILTER (WHERE event_id = ${request.eventId}), 0)::int AS seats
      FROM booking.reservations
      WHERE customer_id = ${request.customerId} AND status IN ('pending', 'held') AND id <> ${request.reservationId}
    )
    SELECT
      (SELECT status FROM booking.reservations WHERE id = ${request.reservationId}) AS status,
      (SELECT expires_at FROM booking.reservations WHERE id = ${request.reservationId}) AS expires_at,
      ARRAY(SELECT seat_id FROM booking.seats WHERE reservation_id = ${request.reservationId} ORDER BY position) AS already,
      CASE WHEN EXISTS (SELECT 1 FROM created) THEN false ELSE (SELECT closed FROM booking.inventories WHERE event_id = ${request.eventId} FOR SHARE) END AS closed,
      coalesce(now() >= ${request.startsAt ?? null}::timestamptz, false) AS started,
      open.reservations AS open_reservations, open.seats AS open_seats
    FROM open`;
  if (!row) throw new Error('readHoldState returned no row');
  return {
    ...(row.status ? { status: row.status } : {}),
    already: row.already,
    ...(row.expires_at ? { expiresAt: new Date(row.expires_at).toISOString() } : {}),
    ...(row.closed !== null ? { closed: row.closed } : {}),
    started: row.started,
    open: { reservations: row.open_reservations, seats: row.open_seats },
  };
}

/** The inventory row, locked FOR SHARE, when readHoldState's snapshot could not see it (a concurrent first booking created it). */
export async function inventoryClosed(tx: Tx, eventId: string): Promise<boolean> {
  const [inventory] = await tx<{ closed: boolean }[]>`SELECT closed FROM booking.inventories WHERE event_id = ${eventId} FOR SHARE`;
  return inventory?.closed ?? false;
}
