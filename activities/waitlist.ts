import type postgres from 'postgres';
import type { ReservationRequest } from '../lib/reservations.js';
import { CLOSED_ENTRIES_PER_CALL, offerRequest, type ClosedEntries, type JoinRequest, type OfferTemplate, type PendingOffer, type WaitlistPlace } from '../lib/waitlist.js';

/** Offers read per call: the workflow asks again until none are left. */
const OFFERS_PER_CALL = 50;
/** An offer whose time ran out before its saga could start still gets a short hold, then passes on. */
const MIN_OFFER_HOLD_MS = 1000;

/** Starts an offer's reservation saga (the worker's Temporal client; worker/waitlist-sagas.ts). */
export type OfferSagaStarter = (request: ReservationRequest) => Promise<void>;

/**
 * The waiting-list workflow's activities over booking.waitlist, as the booking role
 * (docs/waiting-list.md). The offers themselves are made by the seat release
 * (booking/waitlist-handoff.ts), in its own transaction.
 */
export function createWaitlistActivities(sql: postgres.Sql, startSaga: OfferSagaStarter) {
  return {
    /**
     * Puts the customer in line, or, already waiting, keeps their place and takes the new quantity
     * (and the event's terms as they are now). Answers the place in line, 1 for the first.
     */
    async joinWaitlist(input: JoinRequest & { eventId: string; joinKey: string }): Promise<WaitlistPlace> {
      return sql.begin(async (tx) => {
        // Joins of one event take turns (the workflow runs their updates side by side), so that each
        // counts every earlier join and the places answered are exactly 1, 2, 3...
        await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`waitlist ${input.eventId}`}, 0))`;
        const [entry] = await tx<{ place: string; created: boolean }[]>`
          INSERT INTO booking.waitlist AS w (event_id, customer_id, quantity, template, join_key)
          VALUES (${input.eventId}, ${input.customerId}, ${input.quantity}, ${JSON.stringify(input.template)}::jsonb, ${input.joinKey})
          ON CONFLICT (event_id, customer_id) WHERE status = 'waiting'
          DO UPDATE SET quantity = excluded.quantity, template = excluded.template, updated_at = now()
          RETURNING place::text, join_key = ${input.joinKey} AS created`;
        if (!entry) throw new Error('waiting-list insert returned no row');
        const [rank] = await tx<{ position: number }[]>`
          SELECT count(*)::int AS position FROM booking.waitlist WHERE event_id = ${input.eventId} AND status = 'waiting' AND place <= ${entry.place}::bigint`;
        return { eventId: input.eventId, quantity: input.quantity, position: rank?.position ?? 1, created: entry.created };
      });
    },

    /** Takes the customer out of line; false when they were not waiting (idempotent). */
    async leaveWaitlist(input: { eventId: string; customerId: string }): Promise<{ left: boolean }> {
      const gone = await sql`DELETE FROM booking.waitlist WHERE event_id = ${input.eventId} AND customer_id = ${input.customerId} AND status = 'waiting' RETURNING id`;
      return { left: gone.length > 0 };
    },

    /** Offers the seat release made whose customers have not been told yet, oldest first. */
    async pendingOffers(input: { eventId: string }): Promise<PendingOffer[]> {
      const rows = await sql<{ reservation_id: string; customer_id: string; quantity: number; offer_expires_at: Date | string; template: OfferTemplate; seat_ids: string[] | null }[]>`
        SELECT w.reservation_id, w.customer_id, w.quantity, w.offer_expires_at, w.template,
               (SELECT array_agg(s.seat_id ORDER BY s.position) FROM booking.seats s WHERE s.event_id = w.event_id AND s.reservation_id = w.reservation_id) AS seat_ids
        FROM booking.waitlist w
        WHERE w.event_id = ${input.eventId} AND w.status = 'offered' AND NOT w.announced
        ORDER BY w.place LIMIT ${OFFERS_PER_CALL}`;
      return rows.map((row) => ({
        reservationId: row.reservation_id,
        eventId: input.eventId,
        customerId: row.customer_id,
        // Empty when the hold has already ended (an event cancellation got there first): its saga then ends at once.
        seatIds: row.seat_ids ?? [],
        quantity: row.quantity,
        expiresAt: new Date(row.offer_expires_at).toISOString(),
        template: row.template,
      }));
    },

    /**
     * Starts the offer's saga: a hold of the offered seats, which it finds already held for it, until
     * the offer's expiry. Idempotent (the workflow id is the reservation's).
     */
    async startOfferSaga(offer: PendingOffer): Promise<void> {
      await startSaga(offerRequest(offer, Math.max(MIN_OFFER_HOLD_MS, Date.parse(offer.expiresAt) - Date.now())));
    },

    async markOfferAnnounced(input: { reservationId: string }): Promise<void> {
      await sql`UPDATE booking.waitlist SET announced = true, updated_at = now() WHERE reservation_id = ${input.reservationId} AND NOT announced`;
    },

    /** The event has started or was cancelled: nobody waits any longer. Returns how many entries closed. */
    async closeWaitlist(input: { eventId: string }): Promise<number> {
      const closed = await sql`UPDATE booking.waitlist SET status = 'closed', updated_at = now() WHERE event_id = ${input.eventId} AND status = 'waiting' RETURNING id`;
      return closed.length;
    },

    /**
     * The customers whose entries the closed list holds, a page in line order after `afterPlace`:
     * who is told of a cancellation. Read, not taken from closeWaitlist's answer, so a retried close
     * (which finds nothing left to close) still tells everyone.
     */
    async closedEntries(input: { eventId: string; afterPlace?: string }): Promise<ClosedEntries> {
      const rows = await sql<{ customer_id: string; place: string }[]>`
        SELECT customer_id::text, place::text FROM booking.waitlist
        WHERE event_id = ${input.eventId} AND status = 'closed' AND place > ${input.afterPlace ?? '0'}::bigint
        ORDER BY place LIMIT ${CLOSED_ENTRIES_PER_CALL}`;
      const last = rows.at(-1)?.place;
      return { customerIds: rows.map((row) => row.customer_id), ...(last ? { lastPlace: last } : {}) };
    },
  };
}

export type WaitlistActivities = ReturnType<typeof createWaitlistActivities>;
