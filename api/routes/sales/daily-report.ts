import { and, asc, eq, gte, lt, sql } from 'drizzle-orm';
import type { Database } from '../../../db/client.js';
import { events } from '../../../db/schema/catalog.js';
import { reservationSummaries } from '../../../db/schema/readmodel.js';
import type { SalesReport } from '../../contract/index.js';

const DAY_MS = 86_400_000;

/** The UTC day after `date` (YYYY-MM-DD). */
const nextDay = (date: string): Date => new Date(Date.parse(`${date}T00:00:00Z`) + DAY_MS);

/**
 * Per UTC day of booking and per event, from the read model (readmodel.reservation_summaries, the
 * same rows GET /api/events/:id/stats sums): tickets sold and revenue of the reservations that are
 * confirmed, and what has been refunded on them. Summed over every day, an event's figures equal
 * its stats' sold (once the projection caught up), revenueCents and refundedCents.
 */
export async function dailySales(db: Database, from: string, to: string): Promise<SalesReport> {
  const confirmed = sql`${reservationSummaries.status} = 'confirmed'`;
  const day = sql<string>`to_char(${reservationSummaries.createdAt} AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;
  const sold = sql`coalesce(sum(${reservationSummaries.quantity}) FILTER (WHERE ${confirmed}), 0)`;
  const revenue = sql`coalesce(sum(${reservationSummaries.amountCents}) FILTER (WHERE ${confirmed}), 0)`;
  const refunded = sql`coalesce(sum(${reservationSummaries.refundedCents}), 0)`;
  const rows = await db
    .select({
      date: day,
      eventId: reservationSummaries.eventId,
      eventName: events.name,
      currency: events.currency,
      // Sums of int are bigint, which postgres.js hands over as text.
      sold: sql<number>`${sold}`.mapWith(Number),
      revenueCents: sql<number>`${revenue}`.mapWith(Number),
      refundedCents: sql<number>`${refunded}`.mapWith(Number),
    })
    .from(reservationSummaries)
    .innerJoin(events, eq(events.id, reservationSummaries.eventId))
    .where(and(gte(reservationSummaries.createdAt, new Date(`${from}T00:00:00Z`)), lt(reservationSummaries.createdAt, nextDay(to))))
    .groupBy(day, reservationSummaries.eventId, events.name, events.currency)
    // A day of holds that lapsed and bookings that failed sold nothing: left out.
    .having(sql`${sold} > 0 OR ${refunded} > 0`)
    .orderBy(asc(day), asc(events.name), asc(reservationSummaries.eventId));
  return { from, to, days: rows };
}

/** Whole days from `from` to `to`, both counted. */
export const daysBetween = (from: string, to: string): number => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
