import { sql } from 'drizzle-orm';
import { bigint, check, doublePrecision, index, integer, pgSchema, primaryKey, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { queuePlaceStatuses, queueStates } from '../../lib/waiting-room.js';

/**
 * The waiting room (docs/waiting-room.md): one queue per event that has one, and every account's
 * place in it. Owned by the API service (the catalogue's owner): the API writes joins and marks
 * places booked; the on-sale workflow's activities (connected as the API's role) draw the
 * pre-queue's order at the opening and admit, lapse and close places.
 */
export const waitroom = pgSchema('waitroom');

export const queueState = waitroom.enum('queue_state', queueStates);
export const placeStatus = waitroom.enum('place_status', queuePlaceStatuses);

export const queues = waitroom.table(
  'queues',
  {
    eventId: uuid('event_id').primaryKey(),
    state: queueState('state').notNull().default('pre_opening'),
    /** +1 with every change the sockets hear of (the broadcast's version). */
    version: bigint('version', { mode: 'number' }).notNull().default(0),
    /** The highest place admitted so far: places are admitted strictly in order. */
    admittedThrough: integer('admitted_through').notNull().default(0),
    /** Places given so far: the last place in line. Joins after the opening take total + 1. */
    total: integer('total').notNull().default(0),
    /** Admissions per minute over the last minute (what estimates use). */
    ratePerMinute: doublePrecision('rate_per_minute').notNull().default(0),
    /** Adaptive rate: how many admitted buyers may be booking at once; null with a fixed rate. */
    admissionWindow: integer('admission_window'),
    openedAt: timestamp('opened_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('queues_counters', sql`${t.admittedThrough} >= 0 AND ${t.admittedThrough} <= ${t.total}`)],
);

export const places = waitroom.table(
  'places',
  {
    eventId: uuid('event_id').notNull(),
    accountId: uuid('account_id').notNull(),
    /** 1, 2, 3, … in queue order; null until the opening's draw for those who joined before it. */
    place: integer('place'),
    /** Random, fixed at the join: the pre-queue's order is the order of these keys. */
    drawKey: bigint('draw_key', { mode: 'number' }).notNull(),
    status: placeStatus('status').notNull(),
    joinedAt: timestamp('joined_at', { withTimezone: true }).notNull().defaultNow(),
    admittedAt: timestamp('admitted_at', { withTimezone: true }),
    /** The end of the admission window (the admission token's exp). */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    bookedAt: timestamp('booked_at', { withTimezone: true }),
    /** How long the admitted booking's request took: the adaptive rate's latency signal. */
    bookingMs: integer('booking_ms'),
  },
  (t) => [
    // One place per account and event: joining again finds this row.
    primaryKey({ columns: [t.eventId, t.accountId] }),
    unique('places_event_place_unique').on(t.eventId, t.place),
    index('places_event_status_idx').on(t.eventId, t.status, t.place),
    check('places_place_positive', sql`${t.place} IS NULL OR ${t.place} > 0`),
  ],
);
