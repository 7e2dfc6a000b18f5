import { index, pgSchema, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Named seats a booking request is trying right now: entered when it arrives, removed when it has
 * its answer (api/routes/reservations/seats-in-flight.ts). Written by the API, in the booking
 * store's database beside the reservations an entry defers to (as the API deposits payment tokens in
 * the payments store), so that one request at a time tries a seat and a lost race is refused in
 * one statement instead of a whole workflow. Never the authority on a seat (the seat-lock is): an
 * entry only decides whether a workflow is worth starting, and lapses at `expiresAt` whatever
 * became of its request.
 */
export const inflight = pgSchema('inflight');

export const seatRequests = inflight.table(
  'seat_requests',
  {
    eventId: uuid('event_id').notNull(),
    seatId: text('seat_id').notNull(),
    reservationId: uuid('reservation_id').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.seatId] }), index('seat_requests_reservation_idx').on(t.reservationId)],
);
