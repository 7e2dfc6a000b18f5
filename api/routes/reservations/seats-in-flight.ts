import type postgres from 'postgres';
import { openStatuses } from '../../../lib/reservations.js';
import type { Logger } from '../../../lib/logger.js';

/** Refused: `seats` are the ones taken; `started` says the caller's own reservation already has a booking row (asked only for a keyed request). */
export type EntryResult = { entered: true } | { entered: false; seats: string[]; started: boolean };

/** A request's seats in flight; a request that fails leaves at once. */
export interface InFlight {
  leave(): Promise<void>;
}

/**
 * One request at a time tries a seat. Under hot contention every loser used to start a workflow and
 * wait in the queue behind the winner's, only to be refused by the seat-lock seconds later: the
 * winner's hold is visible in the booking store only once its workflow runs. A request now enters
 * its named seats in `inflight.seat_requests` the moment it arrives, so that the race is visible at
 * once and a loser is refused in one statement.
 *
 * An entry never decides who gets a seat: the seat-lock does, as before. It only decides whether a
 * workflow is worth starting, and stops counting as soon as that is answered: when its request is
 * refused or fails (it leaves), when its reservation has ended (failed, released, expired,
 * cancelled: read from the booking store, so a 202'd booking's entry ends with its workflow), or at
 * its expiry (an API process that died mid-request). A booking that got its seats does not leave:
 * its reservation refuses them from then on anyway, and a DELETE per booking was measurable
 * (docs/performance.md); its row is overwritten when the seat is next asked for, so the table holds
 * at most one row a seat. So the worst an entry can do is refuse a seat for a moment after it
 * became free again, never sell one twice.
 */
export function seatsInFlight(sql: postgres.Sql, ttlMs: number, logger: Logger) {
  const open = [...openStatuses];
  /** The entry `q`'s reservation has ended (failed, released, expired, cancelled): the entry no longer counts. */
  const reservationEnded = sql`EXISTS (SELECT 1 FROM booking.reservations r WHERE r.id = q.reservation_id AND r.status <> ALL(${open}::booking.reservation_status[]))`;

  return {
    enabled: ttlMs > 0,

    /**
     * Enters every seat for the reservation, or none: `seats` names those another reservation has
     * pending, held or sold in the booking store, or another request in flight has entered. One
     * statement, whoever wins: each statement a request sends costs the API more CPU than anything
     * else it does for a refusal (docs/performance.md).
     */
    async enter(input: { eventId: string; reservationId: string; keyed: boolean; seatIds: readonly string[] }): Promise<EntryResult> {
      const seatIds = [...new Set(input.seatIds)].sort();
      // Another request's entry counts while unexpired and its reservation has not ended; the
      // caller's own (an Idempotency-Key's repeat) is renewed. Seats go in in one order, so that two
      // requests for overlapping seats wait for each other instead of deadlocking.
      const [row] = await sql<{ entered: string[]; others: string[]; started: boolean }[]>`
        WITH others AS (
          SELECT taken.seat_id FROM booking.reservations r, unnest(r.seat_ids) AS taken(seat_id)
          WHERE r.event_id = ${input.eventId} AND r.status = ANY(${open}::booking.reservation_status[]) AND r.seat_ids && ${seatIds}::text[]
            AND r.id <> ${input.reservationId} AND taken.seat_id = ANY(${seatIds}::text[])
          UNION
          SELECT q.seat_id FROM inflight.seat_requests q
          WHERE q.event_id = ${input.eventId} AND q.seat_id = ANY(${seatIds}::text[]) AND q.reservation_id <> ${input.reservationId}
            AND q.expires_at > now() AND NOT ${reservationEnded}
        ), entered AS (
          INSERT INTO inflight.seat_requests AS q (event_id, seat_id, reservation_id, expires_at)
          SELECT ${input.eventId}, seat_id, ${input.reservationId}, now() + ${ttlMs} * interval '1 millisecond'
          FROM unnest(${seatIds}::text[]) WITH ORDINALITY AS wanted(seat_id, n)
          WHERE NOT EXISTS (SELECT 1 FROM others)
          ORDER BY n
          ON CONFLICT (event_id, seat_id) DO UPDATE SET reservation_id = excluded.reservation_id, expires_at = excluded.expires_at
          WHERE q.reservation_id = excluded.reservation_id OR q.expires_at <= now() OR ${reservationEnded}
          RETURNING q.seat_id
        )
        SELECT coalesce((SELECT array_agg(seat_id) FROM entered), '{}') AS entered, coalesce((SELECT array_agg(seat_id) FROM others), '{}') AS others,
          ${input.keyed}::boolean AND EXISTS (SELECT 1 FROM booking.reservations WHERE id = ${input.reservationId}) AS started`;
      const others = row?.others ?? [];
      const started = row?.started ?? false;
      if (others.length > 0) return { entered: false, seats: others.sort(), started };
      const entered = new Set(row?.entered ?? []);
      if (entered.size === seatIds.length) return { entered: true };
      // A concurrent request entered some of them between this statement's snapshot and its insert.
      await this.leave(input.reservationId);
      return { entered: false, seats: seatIds.filter((id) => !entered.has(id)), started };
    },

    /** The request was refused or failed: its seats are free for the next request. Never fails the request. */
    async leave(reservationId: string): Promise<void> {
      try {
        await sql`DELETE FROM inflight.seat_requests WHERE reservation_id = ${reservationId}`;
      } catch (error) {
        // The entry lapses at its expiry, or as soon as its reservation ends.
        logger.warn({ err: error, reservationId }, 'seats in flight: could not remove a request; it lapses on its own');
      }
    },
  };
}

export type SeatsInFlight = ReturnType<typeof seatsInFlight>;
