import type postgres from 'postgres';
import type { NotificationType } from '../lib/notifications.js';
import { NOTIFICATION_CHANNEL, type NotificationMessage } from './channels.js';

/** NOTIFY payloads must stay under 8000 bytes; messages are one sentence. */
const MAX_MESSAGE_CHARS = 500;

export interface NewNotification {
  userId: string;
  type: NotificationType;
  eventId?: string | undefined;
  reservationId?: string | undefined;
  message: string;
  /** lib/notifications.ts: a second insert with the same key is a no-op. */
  dedupeKey: string;
  /** An offer's expiry (ISO). */
  expiresAt?: string | undefined;
}

interface StoredRow {
  id: string;
  user_id: string;
  type: NotificationType;
  event_id: string | null;
  reservation_id: string | null;
  message: string;
  expires_at: Date | string | null;
  // Timestamps may arrive as text (the pools' type parsers): read through Date either way.
  created_at: Date | string;
}

/**
 * Stores notifications and announces the new ones at commit (NOTIFY is transactional). A retried
 * writer finds its keys taken: nothing is stored or announced twice. Returns how many were new.
 */
export async function storeNotifications(tx: postgres.TransactionSql, rows: readonly NewNotification[]): Promise<number> {
  if (rows.length === 0) return 0;
  const stored = await tx<StoredRow[]>`
    INSERT INTO notify.notifications (user_id, type, event_id, reservation_id, message, dedupe_key, expires_at)
    SELECT u, t::notify.notification_type, NULLIF(e, '')::uuid, NULLIF(r, '')::uuid, m, k, NULLIF(x, '')::timestamptz
    FROM unnest(${rows.map((row) => row.userId)}::uuid[], ${rows.map((row) => row.type)}::text[], ${rows.map((row) => row.eventId ?? '')}::text[],
                ${rows.map((row) => row.reservationId ?? '')}::text[], ${rows.map((row) => row.message.slice(0, MAX_MESSAGE_CHARS))}::text[],
                ${rows.map((row) => row.dedupeKey)}::text[], ${rows.map((row) => row.expiresAt ?? '')}::text[]) AS n(u, t, e, r, m, k, x)
    ORDER BY k
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id::text, user_id::text, type, event_id::text, reservation_id::text, message, expires_at, created_at`;
  const payloads = stored.map((row) =>
    JSON.stringify({
      id: row.id,
      userId: row.user_id,
      type: row.type,
      eventId: row.event_id,
      reservationId: row.reservation_id,
      message: row.message,
      ...(row.expires_at ? { expiresAt: new Date(row.expires_at).toISOString() } : {}),
      createdAt: new Date(row.created_at).toISOString(),
    } satisfies NotificationMessage),
  );
  // One statement for the whole batch; delivered at commit, in this order.
  if (payloads.length > 0) await tx`SELECT pg_notify(${NOTIFICATION_CHANNEL}, p) FROM unnest(${payloads}::text[]) WITH ORDINALITY AS n(p, i) ORDER BY i`;
  return stored.length;
}
