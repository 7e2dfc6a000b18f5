import { index, pgSchema, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Seats a booking request has asked for and whose workflow has not answered yet
 * (api/routes/reservations/seat-claims.ts). Written by the API, in the booking store's database
 * beside the reservations a claim defers to (as it deposits payment tokens in the payments store): a claim is the API's promise to
 * itself that one request at a time tries a seat, so that a lost race is refused in one statement
 * instead of a whole workflow. Never the authority on a seat (the seat-lock is): a claim only
 * decides whether a workflow is worth starting, and lapses at `expiresAt` whatever became of it.
 */
export const claims = pgSchema('claims');

export const seatClaims = claims.table(
  'seat_claims',
  {
    eventId: uuid('event_id').notNull(),
    seatId: text('seat_id').notNull(),
    reservationId: uuid('reservation_id').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.seatId] }), index('seat_claims_reservation_idx').on(t.reservationId)],
);
