import { z } from 'zod';

/** The sales CSV's columns, in order (GET /api/events/:id/sales.csv): one row per reservation. */
export const salesCsvColumns = ['reservation_id', 'status', 'seats', 'quantity', 'amount_cents', 'refunded_cents', 'currency', 'created_at', 'updated_at'] as const;

/** The CSV as OpenAPI describes it: text, one header line, then one line per reservation. */
export const salesCsv = z.string().describe(`text/csv with the header ${salesCsvColumns.join(',')}; seats are comma-separated seat ids (general admission: the ticket units) in one quoted field`);

/**
 * One day's sales of one event, from the read model. The day is the UTC day the reservations were
 * made; `sold` and `revenueCents` count those that are confirmed now, `refundedCents` what those
 * reservations have had refunded since (cancelled ones included).
 */
export const salesDay = z.object({
  date: z.iso.date(),
  eventId: z.uuid(),
  eventName: z.string(),
  currency: z.string(),
  sold: z.int(),
  revenueCents: z.int(),
  refundedCents: z.int(),
});
export type SalesDay = z.infer<typeof salesDay>;

/** GET /api/reports/sales: the days between `from` and `to` (inclusive) that had any reservation. */
export const salesReport = z.object({
  from: z.iso.date(),
  to: z.iso.date(),
  days: z.array(salesDay),
});
export type SalesReport = z.infer<typeof salesReport>;
