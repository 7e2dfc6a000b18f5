import { sql } from 'drizzle-orm';
import { reservationStatuses } from '../../lib/reservations.js';
import { seatStatuses } from '../../lib/seating.js';
import { bigserial, boolean, check, customType, index, integer, jsonb, pgSchema, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/** Postgres' 64-bit transaction id, as a decimal string. */
export const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

/** Seat inventory and reservations: written only by the booking activities. */
export const booking = pgSchema('booking');


export const seatStatus = booking.enum('seat_status', seatStatuses);

export const reservationStatus = booking.enum('reservation_status', reservationStatuses);

/** One row per sellable event; created with its seats the first time anyone books the event. */
export const inventories = booking.table('inventories', {
  eventId: uuid('event_id').primaryKey(),
  capacity: integer('capacity').notNull(),
  /** Set when the event is cancelled: no new holds. */
  closed: boolean('closed').notNull().default(false),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * One row per seat (reserved seating, ids like "C-7") or per ticket unit (general admission, "GA-123").
 * The primary key plus the single reservation column make a seat held or sold twice impossible.
 */
export const seats = booking.table(
  'seats',
  {
    eventId: uuid('event_id').notNull(),
    seatId: text('seat_id').notNull(),
    /** Map order; general admission claims free units from a random position to spread contention. */
    position: integer('position').notNull(),
    status: seatStatus('status').notNull().default('available'),
    reservationId: uuid('reservation_id'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.eventId, t.seatId] }),
    index('seats_reservation_idx').on(t.reservationId),
    index('seats_free_idx').on(t.eventId, t.position).where(sql`${t.status} = 'available'`),
    check('seats_holder_matches_status', sql`(${t.status} = 'available') = (${t.reservationId} IS NULL)`),
  ],
);

export const reservations = booking.table(
  'reservations',
  {
    id: uuid('id').primaryKey(),
    eventId: uuid('event_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    workflowId: text('workflow_id').notNull().unique(),
    status: reservationStatus('status').notNull().default('pending'),
    seatIds: text('seat_ids').array().notNull(),
    quantity: integer('quantity').notNull(),
    amountCents: integer('amount_cents').notNull(),
    refundedCents: integer('refunded_cents').notNull().default(0),
    currency: text('currency').notNull(),
    failureReason: text('failure_reason'),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('reservations_event_idx').on(t.eventId), index('reservations_customer_idx').on(t.customerId)],
);

/**
 * Every seat and reservation change, written in the same transaction as the change, in commit order
 * per event. The projection worker turns it into the read model and live WebSocket pushes.
 */
export const outbox = booking.table(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /**
     * The writing transaction. The projection reads rows in (txid, id) order and only from
     * transactions older than every running one, so a row that commits late is never skipped.
     */
    txid: xid8('txid').notNull().default(sql`pg_current_xact_id()`),
    eventId: uuid('event_id').notNull(),
    kind: text('kind').notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('outbox_order_idx').on(t.txid, t.id)],
);

/** An entry's life: waiting in line, then offered a hold (or closed when the event starts or is cancelled). */
export const waitlistStatuses = ['waiting', 'offered', 'closed'] as const;

/**
 * The waiting lists (docs/waiting-list.md). One waiting entry per customer and event; `place`
 * orders the line. The seat release (activities/booking/waitlist-handoff.ts) turns the first
 * entries that fit into holds in its own transaction, so released seats never show as free.
 */
export const waitlist = booking.table(
  'waitlist',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Grows with every join: the order of the line (a customer who joins again keeps theirs). */
    place: bigserial('place', { mode: 'number' }).notNull(),
    eventId: uuid('event_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    quantity: integer('quantity').notNull(),
    status: text('status', { enum: waitlistStatuses }).notNull().default('waiting'),
    /** lib/waitlist.ts OfferTemplate: the event as it was when the customer joined (price included). */
    template: jsonb('template').notNull(),
    /**
     * The join (the waiting-list workflow's update id) that created the entry: a join retried after
     * it wrote the row (a local activity runs again when its workflow task failed) still answers
     * "created", while a later join of the same customer answers "already waiting".
     */
    joinKey: text('join_key').notNull(),
    /** The offer: a held reservation of the customer's own. */
    reservationId: uuid('reservation_id'),
    /** The reservation whose release made the offer (its retried release finds the offer again). */
    releasedBy: uuid('released_by'),
    offerExpiresAt: timestamp('offer_expires_at', { withTimezone: true }),
    /** The offer's saga was started and its customer told. */
    announced: boolean('announced').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('waitlist_one_waiting_idx').on(t.eventId, t.customerId).where(sql`${t.status} = 'waiting'`),
    index('waitlist_line_idx').on(t.eventId, t.place).where(sql`${t.status} = 'waiting'`),
    index('waitlist_unannounced_idx').on(t.eventId).where(sql`${t.status} = 'offered' AND NOT ${t.announced}`),
    uniqueIndex('waitlist_offer_idx').on(t.reservationId),
    check('waitlist_quantity_positive', sql`${t.quantity} > 0`),
    check('waitlist_offer_has_reservation', sql`(${t.status} = 'offered') = (${t.reservationId} IS NOT NULL)`),
  ],
);
