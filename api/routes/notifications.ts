import { and, desc, eq, lt } from 'drizzle-orm';
import { z } from 'zod';
import { notifications, subscriptions } from '../../db/schema/notify.js';
import type { AppDeps } from '../deps.js';
import { notificationPage, subscription as subscriptionSchema, type NotificationView, type Subscription } from '../contract/index.js';
import { route } from '../route.js';
import { eventIdParams, findEvent, refuseUnlessUpcoming } from './events.js';

export const MAX_NOTIFICATIONS_PER_PAGE = 100;

const pageQuery = z.object({
  /** An id from a previous page: only older notifications. */
  before: z.string().regex(/^[1-9]\d{0,17}$/, 'a notification id from a previous page').optional(),
  limit: z.coerce.number().int().min(1).max(MAX_NOTIFICATIONS_PER_PAGE).default(20),
});

type NotificationRow = typeof notifications.$inferSelect;

export const presentNotification = (row: NotificationRow): NotificationView => ({
  id: String(row.id),
  type: row.type,
  ...(row.eventId ? { eventId: row.eventId } : {}),
  ...(row.reservationId ? { reservationId: row.reservationId } : {}),
  message: row.message,
  ...(row.expiresAt ? { expiresAt: row.expiresAt.toISOString() } : {}),
  createdAt: row.createdAt.toISOString(),
});

/** Reminder subscriptions (customers) and every user's notifications, newest first. */
export function notificationRoutes({ db, workflows, config }: AppDeps) {
  const remindersAt = (startsAt: Date): string[] =>
    config.REMINDER_OFFSETS_SECONDS.map((offset) => startsAt.getTime() - offset * 1000)
      .filter((time) => time > Date.now())
      .map((time) => new Date(time).toISOString());

  return [
    route({
      method: 'post',
      path: '/api/events/:id/subscription',
      summary: 'Subscribe to reminders of an event and news of it (customer; idempotent)',
      tag: 'notifications',
      access: ['customer'],
      params: eventIdParams,
      responses: {
        201: { description: 'Subscribed', body: subscriptionSchema },
        200: { description: 'Already subscribed', body: subscriptionSchema },
        401: 'No valid token',
        403: 'Not a customer',
        404: 'No such event',
        409: 'The event is cancelled (event_not_on_sale) or has started (event_started)',
      },
      async handler(ctx, { params, user }) {
        const event = await findEvent(db, params.id);
        refuseUnlessUpcoming(event, 'The event is cancelled: there is nothing to remind you of');
        // The workflow first: a subscription row is only written once its reminders are running
        // (a 503 from Temporal leaves nothing behind, and a retry starts the same workflow).
        await workflows.followEvent(event.id, event.startsAt.toISOString());
        const inserted = await db.insert(subscriptions).values({ eventId: event.id, userId: user.id }).onConflictDoNothing().returning();
        ctx.status = inserted.length > 0 ? 201 : 200;
        ctx.body = { eventId: event.id, subscribed: true, remindersAt: remindersAt(event.startsAt) } satisfies Subscription;
      },
    }),
    route({
      method: 'delete',
      path: '/api/events/:id/subscription',
      summary: 'Stop reminders of an event (customer; idempotent)',
      tag: 'notifications',
      access: ['customer'],
      params: eventIdParams,
      responses: { 200: { description: 'Not subscribed (any more)', body: subscriptionSchema }, 401: 'No valid token', 403: 'Not a customer', 404: 'No such event' },
      async handler(ctx, { params, user }) {
        const event = await findEvent(db, params.id);
        await db.delete(subscriptions).where(and(eq(subscriptions.eventId, event.id), eq(subscriptions.userId, user.id)));
        ctx.body = { eventId: event.id, subscribed: false, remindersAt: [] } satisfies Subscription;
      },
    }),
    route({
      method: 'get',
      path: '/api/me/notifications',
      summary: 'The caller’s notifications, newest first, paged with `before` and `limit`',
      tag: 'notifications',
      access: 'user',
      query: pageQuery,
      responses: { 200: { description: 'A page of notifications', body: notificationPage }, 400: 'Invalid before or limit', 401: 'No valid token' },
      async handler(ctx, { query, user }) {
        const rows = await db
          .select()
          .from(notifications)
          .where(and(eq(notifications.userId, user.id), query.before ? lt(notifications.id, Number(query.before)) : undefined))
          .orderBy(desc(notifications.id))
          .limit(query.limit + 1);
        const page = rows.slice(0, query.limit);
        const last = page.at(-1);
        ctx.body = { notifications: page.map(presentNotification), nextBefore: rows.length > query.limit && last ? String(last.id) : null };
      },
    }),
  ];
}
