import type postgres from 'postgres';
import { openStatuses } from '../../../lib/reservations.js';
import type { Logger } from '../../../lib/logger.js';

export type ClaimResult = { claimed: true } | { claimed: false; seats: string[] };

/**
 * One request at a time tries a seat. Under hot contention every loser used to start a workflow and
 * wait in the queue behind the winner's, only to be refused by the seat-lock seconds later: the
 * winner's hold is visible in the booking store only once its workflow runs. A claim makes the race
 * visible the moment the request arrives, in the API's own table (`claims.seat_claims`), so a loser
 * is refused in one statement.
 *
 * A claim never decides who gets a seat: the seat-lock does, as before. A claim only decides whether
 * a workflow is worth starting, and stops counting as soon as that question is answered: when its
 * request has its answer (released), when its reservation has ended (failed, released, expired,
 * cancelled: read from the booking store, so a 202'd booking's claim ends with its workflow), or at
 * its expiry (a request that died between its claim and its answer). So the worst a claim can do is
 * refuse a seat for a moment after it became free again, never sell one twice.
 */
export function seatClaims(sql: postgres.Sql, ttlMs: number, logger: Logger) {
  const open = [...openStatuses];

  return {
    enabled: ttlMs > 0,

    /**
     * Claims every seat for the reservation, or none: `seats` names those someone else's live claim
     * holds. One statement when nothing else claims them (the common case for winners and losers alike).
     */
    async claim(input: { eventId: string; reservationId: string; seatIds: readonly string[] }): Promise<ClaimResult> {
      const seatIds = [...new Set(input.seatIds)].sort();
      // A claim counts while unexpired and its reservation has not ended; the caller's own (an
      // Idempotency-Key's repeat) is renewed. Seats are inserted in one order, so that two requests
      // for overlapping seats wait for each other instead of deadlocking.
      const [row] = await sql<{ claimed: string[]; others: string[] }[]>`
        WITH others AS (
          SELECT c.seat_id FROM claims.seat_claims c
          WHERE c.event_id = ${input.eventId} AND c.seat_id = ANY(${seatIds}::text[]) AND c.reservation_id <> ${input.reservationId}
            AND c.expires_at > now()
            AND NOT EXISTS (SELECT 1 FROM booking.reservations r WHERE r.id = c.reservation_id AND r.status <> ALL(${open}::booking.reservation_status[]))
        ), claimed AS (
          INSERT INTO claims.seat_claims AS c (event_id, seat_id, reservation_id, expires_at)
          SELECT ${input.eventId}, seat_id, ${input.reservationId}, now() + ${ttlMs} * interval '1 millisecond'
          FROM unnest(${seatIds}::text[]) WITH ORDINALITY AS wanted(seat_id, n)
          WHERE NOT EXISTS (SELECT 1 FROM others)
          ORDER BY n
          ON CONFLICT (event_id, seat_id) DO UPDATE SET reservation_id = excluded.reservation_id, expires_at = excluded.expires_at
          WHERE c.reservation_id = excluded.reservation_id OR c.expires_at <= now()
            OR EXISTS (SELECT 1 FROM booking.reservations r WHERE r.id = c.reservation_id AND r.status <> ALL(${open}::booking.reservation_status[]))
          RETURNING c.seat_id
        )
        SELECT coalesce((SELECT array_agg(seat_id) FROM claimed), '{}') AS claimed, coalesce((SELECT array_agg(seat_id) FROM others), '{}') AS others`;
      const others = row?.others ?? [];
      if (others.length > 0) return { claimed: false, seats: others.sort() };
      const claimed = new Set(row?.claimed ?? []);
      if (claimed.size === seatIds.length) return { claimed: true };
      // A concurrent request claimed some of them between this statement's snapshot and its insert.
      await this.release(input.reservationId);
      return { claimed: false, seats: seatIds.filter((id) => !claimed.has(id)) };
    },

    /** The request has its answer: its seats are the booking store's business again. Never fails the request. */
    async release(reservationId: string): Promise<void> {
      try {
        await sql`DELETE FROM claims.seat_claims WHERE reservation_id = ${reservationId}`;
      } catch (error) {
        // The claim lapses at its expiry, or as soon as its reservation ends.
        logger.warn({ err: error, reservationId }, 'seat claims: could not release a claim; it lapses on its own');
      }
    },
  };
}

export type SeatClaims = ReturnType<typeof seatClaims>;
