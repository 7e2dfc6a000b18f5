import { and, arrayOverlaps, desc, eq, inArray, ne, type SQL } from 'drizzle-orm';
import type { Database } from '../../../db/client.js';
import { reservations } from '../../../db/schema/booking.js';
import { events } from '../../../db/schema/catalog.js';
import { tickets } from '../../../db/schema/ticketing.js';
import { openStatuses, type ReservationRecord, type ReservationStatus, type Ticket } from '../../../lib/reservations.js';
import type { ReservationRow } from './presenters.js';

/**
 * Where a reservation is read from (docs/reads.md): its row in the booking store, written in the
 * same transaction as the seat-lock, so a GET after the POST's answer always sees it (the read
 * model lags the outbox, so it cannot promise that). The event's organizer and seating never
 * change, so they are cached; tickets are looked up only when the reservation can have some.
 */
export function reservationQueries(db: Database, stores: { booking: Database; ticketing: Database }) {
  const eventFacts = new Map<string, { organizerId: string; seatingType: 'reserved' | 'general' }>();

  /** Organizer and seating of events: immutable once created, so one read per event per process. */
  async function factsOf(eventIds: string[]) {
    const missing = eventIds.filter((id) => !eventFacts.has(id));
    if (missing.length > 0) {
      const rows = await db.select({ id: events.id, organizerId: events.organizerId, seatingType: events.seatingType }).from(events).where(inArray(events.id, missing));
      for (const row of rows) eventFacts.set(row.id, { organizerId: row.organizerId, seatingType: row.seatingType });
    }
    return eventFacts;
  }

  return {
    async byId(id: string): Promise<ReservationRow | undefined> {
      const [row] = await stores.booking.select().from(reservations).where(eq(reservations.id, id));
      return row;
    },

    /**
     * Which of `seatIds` another reservation of the event has pending, held or sold, as the booking
     * store says: its row is written in the seat-lock's own transaction, so a hold shows here the
     * moment it commits, where the read model shows it only once the projection has applied it.
     */
    async seatsTakenByOthers(eventId: string, seatIds: string[], reservationId: string): Promise<string[]> {
      const rows = await stores.booking
        .select({ seatIds: reservations.seatIds })
        .from(reservations)
        .where(and(eq(reservations.eventId, eventId), inArray(reservations.status, [...openStatuses]), arrayOverlaps(reservations.seatIds, seatIds), ne(reservations.id, reservationId)));
      const taken = new Set(rows.flatMap((row) => row.seatIds));
      return seatIds.filter((id) => taken.has(id));
    },

    async eventFacts(eventId: string): Promise<{ organizerId: string; seatingType: 'reserved' | 'general' } | undefined> {
      return (await factsOf([eventId])).get(eventId);
    },

    /** The caller's reservations (every one for an admin), newest first, with their event's seating. */
    async list(filter: { customerId?: string; eventId?: string; limit: number }) {
      const filters: SQL[] = [];
      if (filter.customerId) filters.push(eq(reservations.customerId, filter.customerId));
      if (filter.eventId) filters.push(eq(reservations.eventId, filter.eventId));
      const rows = await stores.booking.select().from(reservations).where(and(...filters)).orderBy(desc(reservations.createdAt)).limit(filter.limit);
      const facts = await factsOf([...new Set(rows.map((row) => row.eventId))]);
      return rows.map((row) => ({ row, seating: facts.get(row.eventId)?.seatingType ?? 'reserved' }));
    },

    /** Valid and used tickets of the reservations; a hold, paid or lapsed, never had any. */
    async ticketsOf(rows: readonly { id: string; status: ReservationStatus }[]): Promise<Map<string, Ticket[]>> {
      const ids = rows.filter((row) => row.status !== 'held' && row.status !== 'expired').map((row) => row.id);
      const byReservation = new Map<string, Ticket[]>();
      if (ids.length === 0) return byReservation;
      const found = await stores.ticketing
        .select({ code: tickets.code, seat: tickets.seatId, reservationId: tickets.reservationId })
        .from(tickets)
        .where(and(inArray(tickets.reservationId, ids), inArray(tickets.status, ['valid', 'used'])))
        .orderBy(tickets.seatId);
      for (const ticket of found) {
        const list = byReservation.get(ticket.reservationId) ?? [];
        list.push({ code: ticket.code, seat: ticket.seat });
        byReservation.set(ticket.reservationId, list);
      }
      return byReservation;
    },
  };
}

export type ReservationQueries = ReturnType<typeof reservationQueries>;

export const recordOfRow = (row: ReservationRow): ReservationRecord => ({
  reservationId: row.id,
  eventId: row.eventId,
  customerId: row.customerId,
  seatIds: row.seatIds,
  quantity: row.quantity,
  amountCents: row.amountCents,
  currency: row.currency,
});
