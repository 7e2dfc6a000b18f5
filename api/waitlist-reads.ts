import { and, asc, count, eq, lte, sql, sum } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { reservations, waitlist } from '../db/schema/booking.js';
import type { WaitlistEntry } from './contract/index.js';

/**
 * Reads of the waiting list (booking.waitlist, read-only for the API): the caller's place and live
 * offer, and the line's length for the organizer. Read from the booking store, like a reservation,
 * so an answer right after a join already counts it.
 */
export async function waitlistLength(booking: Database, eventId: string): Promise<{ waiting: number; seats: number }> {
  const [row] = await booking
    .select({ waiting: count(), seats: sum(waitlist.quantity).mapWith(Number) })
    .from(waitlist)
    .where(and(eq(waitlist.eventId, eventId), eq(waitlist.status, 'waiting')));
  return { waiting: row?.waiting ?? 0, seats: row?.seats ?? 0 };
}

/** The customer's entry: their place if waiting, their offer if one still waits for payment; undefined if neither. */
export async function waitlistEntryOf(booking: Database, eventId: string, customerId: string): Promise<WaitlistEntry | undefined> {
  const [waiting] = await booking
    .select({ place: waitlist.place, quantity: waitlist.quantity })
    .from(waitlist)
    .where(and(eq(waitlist.eventId, eventId), eq(waitlist.customerId, customerId), eq(waitlist.status, 'waiting')));
  const [offer] = await booking
    .select({ reservationId: reservations.id, expiresAt: reservations.expiresAt, quantity: waitlist.quantity })
    .from(waitlist)
    .innerJoin(reservations, eq(reservations.id, waitlist.reservationId))
    .where(and(eq(waitlist.eventId, eventId), eq(waitlist.customerId, customerId), eq(waitlist.status, 'offered'), eq(reservations.status, 'held')))
    .orderBy(asc(reservations.expiresAt))
    .limit(1);
  if (!waiting && !offer) return undefined;
  const position = waiting ? await positionOf(booking, eventId, waiting.place) : null;
  return {
    eventId,
    quantity: waiting?.quantity ?? offer?.quantity ?? 0,
    position,
    offer: offer?.expiresAt ? { reservationId: offer.reservationId, expiresAt: offer.expiresAt.toISOString() } : null,
  };
}

async function positionOf(booking: Database, eventId: string, place: number): Promise<number> {
  const [row] = await booking
    .select({ position: sql<number>`count(*)::int` })
    .from(waitlist)
    .where(and(eq(waitlist.eventId, eventId), eq(waitlist.status, 'waiting'), lte(waitlist.place, place)));
  return row?.position ?? 1;
}
