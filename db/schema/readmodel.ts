import { sql } from 'drizzle-orm';
import { bigint, index, integer, pgSchema, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { reservationStatus, seatStatus, xid8 } from './booking.js';

/** Query-side copy of seat state, kept by the projection worker from booking.outbox. */
export const readmodel = pgSchema('readmodel');

/** Seats that are not available; a seat with no row here is available. */
export const seatStates = readmodel.table(
  'seat_states',
  {
    eventId: uuid('event_id').notNull(),
    seatId: text('seat_id').notNull(),
    status: seatStatus('status').notNull(),
    reservationId: uuid('reservation_id'),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.seatId] })],
);

export const eventAvailability = readmodel.table('event_availability', {
  eventId: uuid('event_id').primaryKey(),
  held: integer('held').notNull().default(0),
  sold: integer('sold').notNull().default(0),
  /** Grows by one per published change message for this event. */
  version: bigint('version', { mode: 'number' }).notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export const reservationSummaries = readmodel.table(
  'reservation_summaries',
  {
    id: uuid('id').primaryKey(),
    eventId: uuid('event_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    status: reservationStatus('status').notNull(),
    /** Seats or tickets asked for: what a confirmed reservation sold (the sales report). */
    quantity: integer('quantity').notNull().default(0),
    amountCents: integer('amount_cents').notNull(),
    refundedCents: integer('refunded_cents').notNull().default(0),
    /** When the reservation was made (the booking store's own time): the sales report's day. */
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('reservation_summaries_created_idx').on(t.createdAt)],
);

/** How far each projection has read the outbox. */
export const projectionCursors = readmodel.table('projection_cursors', {
  name: text('name').primaryKey(),
  lastTxid: xid8('last_txid').notNull().default(sql`'0'::xid8`),
  lastOutboxId: bigint('last_outbox_id', { mode: 'number' }).notNull().default(0),
});
