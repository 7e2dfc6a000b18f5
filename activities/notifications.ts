import type postgres from 'postgres';
import { storeNotifications, type NewNotification } from '../db/notifications.js';
import { noticeKey, type EventSchedule, type NoticeBatchResult, type SubscriberNotice } from '../lib/notifications.js';

export interface NotificationSettings {
  /** REMINDER_OFFSETS_SECONDS, largest first. */
  offsetsSeconds: number[];
  /** REMINDER_BATCH_SIZE: subscribers per notifySubscribers call. */
  batchSize: number;
}

/** "24 hours", "1 hour", "15 minutes", "5 seconds". */
export function leadTime(seconds: number): string {
  const [amount, unit] = seconds % 3600 === 0 ? [seconds / 3600, 'hour'] : seconds % 60 === 0 ? [seconds / 60, 'minute'] : [seconds, 'second'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}

/** "2026-12-24 19:30 UTC"; seconds only when there are any. */
const when = (iso: string): string =>
  new Date(iso)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC')
    .replace(/:00 UTC$/, ' UTC');

function messageOf(eventName: string, notice: SubscriberNotice): string {
  switch (notice.kind) {
    case 'reminder':
      return `“${eventName}” starts in ${leadTime(notice.offsetSeconds)}, at ${when(notice.startsAt)}.`;
    case 'event_changed':
      return `“${eventName}” has moved: it now starts at ${when(notice.startsAt)} (was ${when(notice.previousStartsAt)}).`;
    case 'event_cancelled':
      return `“${eventName}” has been cancelled; any tickets you bought are refunded.`;
  }
}

/**
 * The reminder workflow's activities, as the notify role: the catalogue and the subscriptions are
 * read, notifications written. Every write is keyed (lib/notifications.ts noticeKey), so a retried
 * batch tells nobody twice.
 */
export function createNotificationActivities(sql: postgres.Sql, settings: NotificationSettings) {
  return {
    /** The event as the catalogue has it now, with the offsets this worker reminds at. */
    async eventSchedule(input: { eventId: string }): Promise<EventSchedule> {
      // Timestamps may arrive as text (the pools' type parsers): read through Date either way.
      const [row] = await sql<{ status: 'on_sale' | 'cancelled'; starts_at: Date | string; updated_at: Date | string }[]>`
        SELECT status, starts_at, updated_at FROM catalog.events WHERE id = ${input.eventId}`;
      if (!row) return { status: 'missing', startsAt: new Date(0).toISOString(), updatedAt: new Date(0).toISOString(), offsetsSeconds: settings.offsetsSeconds };
      return { status: row.status, startsAt: new Date(row.starts_at).toISOString(), updatedAt: new Date(row.updated_at).toISOString(), offsetsSeconds: settings.offsetsSeconds };
    },

    /** Tells one batch of the event's subscribers (in user id order, after `afterUserId`). */
    async notifySubscribers(input: { eventId: string; notice: SubscriberNotice; afterUserId?: string }): Promise<NoticeBatchResult> {
      return sql.begin(async (tx) => {
        const [event] = await tx<{ name: string }[]>`SELECT name FROM catalog.events WHERE id = ${input.eventId}`;
        const subscribers = await tx<{ user_id: string }[]>`
          SELECT user_id FROM notify.subscriptions
          WHERE event_id = ${input.eventId} AND user_id > ${input.afterUserId ?? '00000000-0000-0000-0000-000000000000'}::uuid
          ORDER BY user_id LIMIT ${settings.batchSize}`;
        const message = messageOf(event?.name ?? 'The event', input.notice);
        const rows: NewNotification[] = subscribers.map(({ user_id }) => ({
          userId: user_id,
          type: input.notice.kind,
          eventId: input.eventId,
          message,
          dedupeKey: noticeKey(input.eventId, user_id, input.notice),
        }));
        const written = await storeNotifications(tx, rows);
        const last = subscribers.at(-1)?.user_id;
        return { seen: subscribers.length, written, done: subscribers.length < settings.batchSize, ...(last ? { lastUserId: last } : {}) };
      });
    },
  };
}

export type NotificationActivities = ReturnType<typeof createNotificationActivities>;
