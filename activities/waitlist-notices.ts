import type postgres from 'postgres';
import { storeNotifications } from '../db/notifications.js';
import { offerNoticeKey, type PendingOffer } from '../lib/waitlist.js';

/** "19:30 UTC" on the day, or the date as well when it is another day. */
function until(iso: string, now: Date): string {
  const at = new Date(iso).toISOString();
  const time = `${at.slice(11, 16)} UTC`;
  return at.slice(0, 10) === now.toISOString().slice(0, 10) ? time : `${at.slice(0, 10)} ${time}`;
}

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
  };
}

export type WaitlistNoticeActivities = ReturnType<typeof createWaitlistNoticeActivities>;
