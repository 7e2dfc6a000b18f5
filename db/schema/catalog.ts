import { sql } from 'drizzle-orm';
import { check, index, integer, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** The event catalogue: what is on sale, where, when and for how much. Owned by the API. */
export const catalog = pgSchema('catalog');

export const seatingTypes = ['reserved', 'general'] as const;
export type SeatingType = (typeof seatingTypes)[number];
export const seatingType = catalog.enum('seating_type', seatingTypes);

export const eventStatuses = ['on_sale', 'cancelled'] as const;
export const eventStatus = catalog.enum('event_status', eventStatuses);

export const events = catalog.table(
  'events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizerId: uuid('organizer_id').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    venue: text('venue').notNull(),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    priceCents: integer('price_cents').notNull(),
    currency: text('currency').notNull().default('EUR'),
    seatingType: seatingType('seating_type').notNull(),
    rows: integer('rows'),
    seatsPerRow: integer('seats_per_row'),
    /** Total sellable seats or tickets: rows x seatsPerRow for reserved seating. */
    capacity: integer('capacity').notNull(),
    status: eventStatus('status').notNull().default('on_sale'),
    /** The waiting room (docs/waiting-room.md): when admission starts; null for an event without a queue. */
    queueOpensAt: timestamp('queue_opens_at', { withTimezone: true }),
    /** From when customers may join, fixed when the queue is set (QUEUE_JOIN_LEAD_SECONDS before the opening). */
    queueJoinOpensAt: timestamp('queue_join_opens_at', { withTimezone: true }),
    /** A fixed admission rate; null: the rate adapts. */
    queueAdmitPerMinute: integer('queue_admit_per_minute'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('events_organizer_idx').on(t.organizerId),
    check('events_price_nonnegative', sql`${t.priceCents} >= 0`),
    check('events_capacity_positive', sql`${t.capacity} > 0`),
    check(
      'events_queue',
      sql`(${t.queueOpensAt} IS NULL AND ${t.queueJoinOpensAt} IS NULL AND ${t.queueAdmitPerMinute} IS NULL)
        OR (${t.queueOpensAt} IS NOT NULL AND ${t.queueJoinOpensAt} IS NOT NULL AND ${t.queueJoinOpensAt} <= ${t.queueOpensAt} AND (${t.queueAdmitPerMinute} IS NULL OR ${t.queueAdmitPerMinute} > 0))`,
    ),
    check(
      'events_geometry',
      sql`(${t.seatingType} = 'reserved' AND ${t.rows} > 0 AND ${t.seatsPerRow} > 0 AND ${t.capacity} = ${t.rows} * ${t.seatsPerRow})
        OR (${t.seatingType} = 'general' AND ${t.rows} IS NULL AND ${t.seatsPerRow} IS NULL)`,
    ),
  ],
);
