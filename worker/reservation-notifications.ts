import type postgres from 'postgres';
import { storeNotifications, type NewNotification } from '../db/notifications.js';
import { isNotifiedStatus, reservationNoticeKey, type NotifiedReservationStatus } from '../lib/notifications.js';

/** A booking outbox row as the projection reads it. */
export interface ReservationChangeRow {
  event_id: string;
  kind: 'seats' | 'reservation';
  payload: { id?: string; customerId?: string; status?: string; refundedCents?: number; failureReason?: string };
}

const reasons: Record<string, string> = {
  seats_unavailable: 'the seats were taken',
  sold_out: 'not enough tickets were left',
  payment_declined: 'the payment was declined',
  event_not_on_sale: 'the event is no longer on sale',
  ticketing_failed: 'tickets could not be issued',
  payment_unavailable: 'payments were unavailable',
};

function messageOf(status: NotifiedReservationStatus, eventName: string, payload: ReservationChangeRow['payload']): string {
  switch (status) {
    case 'confirmed':
      return `Your reservation for “${eventName}” is confirmed: your tickets are ready.`;
    case 'failed': {
      const reason = payload.failureReason ? reasons[payload.failureReason] : undefined;
      return `Your reservation for “${eventName}” did not go through${reason ? `: ${reason}` : ''}. Nothing was charged.`;
    }
    case 'cancelled':
      return `Your reservation for “${eventName}” was cancelled${payload.refundedCents ? '; the payment is refunded' : ''}.`;
    case 'expired':
      return `Your hold for “${eventName}” expired and the seats were released.`;
  }
}

/**
 * Every reservation change in a projection batch that its customer is told about (confirmed, failed,
 * cancelled, expired) becomes a `reservation` notification. The outbox row carries the status it
 * recorded, so a quick confirmed → cancelled in one batch is still two notices.
 */
export async function reservationNotifications(tx: postgres.TransactionSql, rows: readonly ReservationChangeRow[]): Promise<number> {
  const changes = rows.flatMap((row) => {
    const { id, customerId, status } = row.payload;
    return row.kind === 'reservation' && id && customerId && status && isNotifiedStatus(status) ? [{ row, id, customerId, status }] : [];
  });
  if (changes.length === 0) return 0;
  const eventIds = [...new Set(changes.map((change) => change.row.event_id))];
  const names = new Map((await tx<{ id: string; name: string }[]>`SELECT id::text, name FROM catalog.events WHERE id = ANY(${eventIds}::uuid[])`).map((event) => [event.id, event.name]));
  const notifications: NewNotification[] = changes.map(({ row, id, customerId, status }) => ({
    userId: customerId,
    type: 'reservation',
    eventId: row.event_id,
    reservationId: id,
    message: messageOf(status, names.get(row.event_id) ?? 'your event', row.payload),
    dedupeKey: reservationNoticeKey(id, status),
  }));
  return storeNotifications(tx, notifications);
}
