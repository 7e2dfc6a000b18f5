import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { type events } from '../db/schema/catalog.js';
import { eventAvailability, reservationSummaries, seatStates } from '../db/schema/readmodel.js';
import type { SeatStatus } from '../lib/seating.js';
import { allSeatIds, parseSeatId, type Seating } from '../lib/seating.js';
import type { Availability, Event, SalesStats, SeatMap } from './contract/index.js';
import { waitlistLength } from './waitlist-reads.js';

type EventRow = typeof events.$inferSelect;

export function seatingOf(event: EventRow): Seating {
  return event.seatingType === 'reserved'
    ? { type: 'reserved', rows: event.rows ?? 0, seatsPerRow: event.seatsPerRow ?? 0 }
    : { type: 'general', capacity: event.capacity };
}

/** Held and sold counts per event from the read model (an event nobody booked yet has no row). */
export async function availabilityOf(db: Database, rows: readonly EventRow[]): Promise<Map<string, Availability & { version: number }>> {
  const ids = rows.map((row) => row.id);
  const counts = ids.length ? await db.select().from(eventAvailability).where(inArray(eventAvailability.eventId, ids)) : [];
  const byId = new Map(counts.map((count) => [count.eventId, count]));
  return new Map(
    rows.map((row) => {
      const count = byId.get(row.id);
      const held = count?.held ?? 0;
      const sold = count?.sold ?? 0;
      return [row.id, { total: row.capacity, held, sold, available: row.capacity - held - sold, version: count?.version ?? 0 }];
    }),
  );
}

/** The contract's event (api/contract/events.ts). */
export function publicEvent(event: EventRow, availability: Availability): Event {
  const seating: Seating = seatingOf(event);
  const status = event.status === 'cancelled' ? 'cancelled' : availability.available === 0 ? 'sold_out' : 'on_sale';
  return {
    id: event.id,
    name: event.name,
    description: event.description,
    startsAt: event.startsAt.toISOString(),
    venue: event.venue,
    organizerId: event.organizerId,
    priceCents: event.priceCents,
    currency: event.currency,
    status,
    seating,
    availability: { total: availability.total, available: availability.available, held: availability.held, sold: availability.sold },
    queue:
      event.queueOpensAt && event.queueJoinOpensAt
        ? { opensAt: event.queueOpensAt.toISOString(), joinOpensAt: event.queueJoinOpensAt.toISOString(), admitPerMinute: event.queueAdmitPerMinute }
        : null,
  };
}

/** The seat map: every seat of the room, with its state from the read model. */
export async function seatMap(db: Database, event: EventRow): Promise<SeatMap> {
  const [availability] = (await availabilityOf(db, [event])).values();
  const seating = seatingOf(event);
  if (seating.type === 'general' || !availability) {
    return { eventId: event.id, version: availability?.version ?? 0, capacity: event.capacity, available: availability?.available ?? event.capacity, held: availability?.held ?? 0, sold: availability?.sold ?? 0 };
  }
  const taken = await db.select({ seatId: seatStates.seatId, status: seatStates.status }).from(seatStates).where(eq(seatStates.eventId, event.id));
  const statusOf = new Map<string, SeatStatus>(taken.map((seat) => [seat.seatId, seat.status]));
  return {
    eventId: event.id,
    version: availability.version,
    seats: allSeatIds(seating).map((id) => {
      const parsed = parseSeatId(id);
      return { id, row: parsed?.row ?? '', number: parsed?.number ?? 0, status: statusOf.get(id) ?? 'available' };
    }),
  };
}

export async function salesStats(db: Database, event: EventRow, booking: Database): Promise<SalesStats> {
  const [availability] = (await availabilityOf(db, [event])).values();
  const byStatus = await db
    .select({
      status: reservationSummaries.status,
      count: sql<number>`count(*)::int`,
      amount: sql<number>`coalesce(sum(${reservationSummaries.amountCents}), 0)::int`,
      refunded: sql<number>`coalesce(sum(${reservationSummaries.refundedCents}), 0)::int`,
    })
    .from(reservationSummaries)
    .where(and(eq(reservationSummaries.eventId, event.id)))
    .groupBy(reservationSummaries.status);
  const reservations = { pending: 0, held: 0, confirmed: 0, failed: 0, expired: 0, cancelled: 0 };
  let revenueCents = 0;
  let refundedCents = 0;
  for (const row of byStatus) {
    reservations[row.status] = row.count;
    if (row.status === 'confirmed') revenueCents += row.amount;
    refundedCents += row.refunded;
  }
  return {
    eventId: event.id,
    sold: availability?.sold ?? 0,
    held: availability?.held ?? 0,
    available: availability?.available ?? event.capacity,
    revenueCents,
    refundedCents,
    reservations,
    waitlist: await waitlistLength(booking, event.id),
  };
}
