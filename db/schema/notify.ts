import { bigint, index, pgSchema, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { notificationTypes } from '../../lib/notifications.js';

/**
 * Reminder subscriptions and every user's notifications (docs/notifications.md). The API owns the
 * subscriptions and reads the notifications; the reminder activities and the projection write them.
 */
export const notify = pgSchema('notify');

export const notificationType = notify.enum('notification_type', notificationTypes);

export const subscriptions = notify.table(
  'subscriptions',
  {
    eventId: uuid('event_id').notNull(),
    userId: uuid('user_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // (event, user) is also the order a reminder round pages through subscribers in.
  (t) => [primaryKey({ columns: [t.eventId, t.userId] })],
);

export const notifications = notify.table(
  'notifications',
  {
    /** Grows with every insert: the newest-first order and the paging cursor. */
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    userId: uuid('user_id').notNull(),
    type: notificationType('type').notNull(),
    eventId: uuid('event_id'),
    reservationId: uuid('reservation_id'),
    message: text('message').notNull(),
    /** One notification per fact, however often its writer is retried (lib/notifications.ts). */
    dedupeKey: text('dedupe_key').notNull().unique(),
    /** An `offer`: until when the offered seats are held for the user. */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('notifications_user_idx').on(t.userId, t.id)],
);
