import { z } from 'zod';
import type { AppDeps } from '../../deps.js';
import { route } from '../../route.js';
import { salesCsv, salesReport } from '../../contract/index.js';
import { assertOwner, eventIdParams, findEvent } from '../events.js';
import { salesCsvStream } from './csv-export.js';
import { daysBetween, dailySales } from './daily-report.js';

/** The longest report one request may ask for: a year, leap day included. */
export const MAX_REPORT_DAYS = 366;

const reportQuery = z
  .object({ from: z.iso.date(), to: z.iso.date() })
  .refine(({ from, to }) => from <= to, { message: 'from must not be after to', path: ['from'] })
  .refine(({ from, to }) => daysBetween(from, to) <= MAX_REPORT_DAYS, { message: `at most ${MAX_REPORT_DAYS} days per report`, path: ['to'] });

export function salesRoutes({ db, stores, logger }: AppDeps) {
  return [
    route({
      method: 'get',
      path: '/api/events/:id/sales.csv',
      summary: 'Every reservation of the event as CSV, streamed (its organizer, admin)',
      tag: 'sales',
      access: ['organizer', 'admin'],
      params: eventIdParams,
      responses: { 200: { description: 'One line per reservation, oldest first', body: salesCsv, mediaType: 'text/csv' }, 401: 'No valid token', 403: 'Not the event’s organizer', 404: 'No such event' },
      async handler(ctx, { params, user }) {
        const event = await findEvent(db, params.id);
        assertOwner(user, event);
        const body = await salesCsvStream(stores.booking.$client, event.id, logger);
        ctx.type = 'text/csv; charset=utf-8';
        ctx.attachment(`sales-${event.id}.csv`);
        ctx.body = body;
      },
    }),
    route({
      method: 'get',
      path: '/api/reports/sales',
      summary: 'Tickets sold, revenue and refunds per day and event, from the read model (admin)',
      tag: 'sales',
      access: ['admin'],
      query: reportQuery,
      responses: { 200: { description: 'The days in the range that sold or refunded anything', body: salesReport }, 400: 'Bad or missing dates, from after to, or a range too long', 401: 'No valid token', 403: 'Not an admin' },
      async handler(ctx, { query }) {
        ctx.body = await dailySales(db, query.from, query.to);
      },
    }),
  ];
}
