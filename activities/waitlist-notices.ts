import type postgres from 'postgres';
import { storeNotifications } from '../db/notifications.js';
import { noticeKey } from '../lib/notifications.js';
import { offerNoticeKey, type PendingOffer } from '../lib/waitlist.js';

/** "19:30 UTC" on the day, or the date as well when it is another day. */
function until(iso: string, now: Date): string {
  const at = new Date(iso).toISOString();
  const time = `${at.slice(11, 16)} UTC`;
  return at.slice(0, 10) === now.toISOString().slice(0, 10) ? time : `${at.slice(0, 10)} ${time}`;
}

export const cancelledMessage = (eventName: string): string => `“${eventName}” has been cancelled; your place on its waiting list is closed.`;

export function offerMessage(offer: PendingOffer, now = new Date()): string {
  const what = offer.template.seating === 'reserved' ? `${offer.quantity === 1 ? 'seat' : 'seats'} ${offer.seatIds.join(', ')}` : `${offer.quantity} ${offer.quantity === 1 ? 'ticket' : 'tickets'}`;
  return `Seats came free for “${offer.template.eventName}”: ${what} ${offer.quantity === 1 ? 'is' : 'are'} held for you until ${until(offer.expiresAt, now)}. Pay to keep them; unpaid, they go to the next in line.`;
}

/** The waiting-list workflow's notice, as the notify role: an `offer` notification (and socket push), once. */
export function createWaitlistNoticeActivities(sql: postgres.Sql) {
  return {
    async announceOffer(offer: PendingOffer): Promise<void> {
      await sql.begin((tx) =>
        storeNotifications(tx, [
          {
            userId: offer.customerId,
            type: 'offer',
            eventId: offer.eventId,
            reservationId: offer.reservationId,
            message: offerMessage(offer),
            dedupeKey: offerNoticeKey(offer.reservationId),
            expiresAt: offer.expiresAt,
          },
        ]),
      );
    },

    /**
     * Tells customers whose place closed with the event's cancellation: an `event_cancelled`
     * notification (and socket push), keyed like the reminder workflow's (lib/notifications.ts
     * noticeKey), so a customer both waiting and subscribed to reminders hears of it once.
     */
    async announceCancellation(input: { eventId: string; customerIds: string[] }): Promise<number> {
      if (input.customerIds.length === 0) return 0;
      return sql.begin(async (tx) => {
        const [event] = await tx<{ name: string }[]>`SELECT name FROM catalog.events WHERE id = ${input.eventId}`;
        const message = cancelledMessage(event?.name ?? 'The event');
        return storeNotifications(
          tx,
          input.customerIds.map((userId) => ({ userId, type: 'event_cancelled' as const, eventId: input.eventId, message, dedupeKey: noticeKey(input.eventId, userId, { kind: 'event_cancelled' }) })),
        );
      });
    },
  };
}

export type WaitlistNoticeActivities = ReturnType<typeof createWaitlistNoticeActivities>;
