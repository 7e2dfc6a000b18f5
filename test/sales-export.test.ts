import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as contract from '../api/contract/index.js';
import { MAX_REPORT_DAYS } from '../api/routes/sales/index.js';
import { parseCsv } from './support/csv.js';
import { startStack, type Stack } from './support/stack.js';

let stack: Stack;
let organizer: { token: string; id: string; email: string };
let customer: { token: string; id: string; email: string };
let adminToken: string;
let reservedEvent: string;
let generalEvent: string;
/** reservation id → what the test booked. */
const booked = new Map<string, { status: string; seats: string; quantity: number; amountCents: number; refundedCents: number }>();

const today = () => new Date().toISOString().slice(0, 10);
const dayOffset = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

async function reserve(body: Record<string, unknown>, expected: number): Promise<string> {
  const answer = await stack.http.post<{ id?: string; details?: { reservation?: { id: string } } }>('/api/reservations', body, customer.token);
  expect(answer.status, JSON.stringify(answer.body)).toBe(expected);
  const id = answer.body.id ?? answer.body.details?.reservation?.id;
  if (!id) throw new Error(`no reservation id in ${JSON.stringify(answer.body)}`);
  return id;
}

/** An account made admin in the database (nobody may register as one), then logged in. */
async function admin(): Promise<string> {
  const account = await stack.http.user('customer');
  await stack.owner.sql`UPDATE identity.users SET role = 'admin' WHERE id = ${account.id}`;
  const login = await stack.http.post<{ token: string }>('/api/auth/login', { email: account.email, password: 'correct horse battery' });
  expect(login.status).toBe(200);
  return login.body.token;
}

beforeAll(async () => {
  stack = await startStack();
  organizer = await stack.http.user('organizer');
  customer = await stack.http.user('customer');
  adminToken = await admin();
  reservedEvent = await stack.http.event(organizer.token, { type: 'reserved', rows: 3, seatsPerRow: 5 }, 2000);
  generalEvent = await stack.http.event(organizer.token, { type: 'general', capacity: 50 }, 1500);

  booked.set(await reserve({ eventId: reservedEvent, seats: ['A-1', 'A-2'], paymentToken: 'tok_visa' }, 201), { status: 'confirmed', seats: 'A-1,A-2', quantity: 2, amountCents: 4000, refundedCents: 0 });
  booked.set(await reserve({ eventId: reservedEvent, seats: ['B-1'] }, 201), { status: 'held', seats: 'B-1', quantity: 1, amountCents: 2000, refundedCents: 0 });
  booked.set(await reserve({ eventId: reservedEvent, seats: ['C-1'], paymentToken: 'tok_declined' }, 402), { status: 'failed', seats: 'C-1', quantity: 1, amountCents: 2000, refundedCents: 0 });
  const cancelled = await reserve({ eventId: reservedEvent, seats: ['A-4', 'A-5', 'B-5'], paymentToken: 'tok_visa' }, 201);
  const cancel = await stack.http.post<{ refundedCents: number }>(`/api/reservations/${cancelled}/cancel`, {}, customer.token);
  expect(cancel.status).toBe(200);
  expect(cancel.body.refundedCents).toBe(6000);
  booked.set(cancelled, { status: 'cancelled', seats: 'A-4,A-5,B-5', quantity: 3, amountCents: 6000, refundedCents: 6000 });
  await reserve({ eventId: generalEvent, quantity: 3, paymentToken: 'tok_visa' }, 201);
  await stack.projectionCaughtUp();
});
afterAll(() => stack?.stop());

async function csvOf(eventId: string, token?: string) {
  const response = await fetch(`${stack.baseUrl}/api/events/${eventId}/sales.csv`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { response, text: await response.text() };
}

describe('GET /api/events/:id/sales.csv', () => {
  it('gives the organizer one parsable line per reservation, the seat list quoted in one field', async () => {
    const { response, text } = await csvOf(reservedEvent, organizer.token);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="sales-${reservedEvent}.csv"`);
    expect(text).toContain('"A-1,A-2"');
    const [header, ...lines] = parseCsv(text);
    expect(header).toEqual([...contract.salesCsvColumns]);
    expect(lines).toHaveLength(booked.size);
    const truth = await stack.stores.booking.sql<{ id: string; created_ms: string; updated_ms: string; currency: string }[]>`
      SELECT id, floor(extract(epoch FROM created_at) * 1000)::bigint::text AS created_ms, floor(extract(epoch FROM updated_at) * 1000)::bigint::text AS updated_ms, currency FROM booking.reservations WHERE event_id = ${reservedEvent} ORDER BY created_at, id`;
    expect(lines.map((line) => line[0])).toEqual(truth.map((row) => row.id));
    for (const [index, line] of lines.entries()) {
      const [id, status, seats, quantity, amount, refunded, currency, createdAt, updatedAt] = line;
      const expected = booked.get(id ?? '');
      expect(expected, `line ${index + 1}`).toBeDefined();
      expect({ status, seats, quantity: Number(quantity), amountCents: Number(amount), refundedCents: Number(refunded) }).toEqual(expected);
      expect(currency).toBe(truth[index]?.currency);
      expect(createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Date.parse(createdAt ?? '')).toBe(Number(truth[index]?.created_ms));
      expect(Date.parse(updatedAt ?? '')).toBe(Number(truth[index]?.updated_ms));
    }
  });

  it('streams an event with more reservations than one cursor batch, in order', async () => {
    // Failed reservations straight in the booking store: no seats, charges or tickets, so no invariant
    // of other files' checks can trip over them; what matters is that every row crosses the cursor.
    const eventId = await stack.http.event(organizer.token, { type: 'reserved', rows: 2, seatsPerRow: 2 });
    const count = 1234;
    await stack.stores.booking.sql`
      INSERT INTO booking.reservations (id, event_id, customer_id, workflow_id, status, seat_ids, quantity, amount_cents, currency, failure_reason, created_at)
      SELECT id, ${eventId}, ${customer.id}, 'reservation-' || id, 'failed', ARRAY['A-1', 'B-2'], 2, 4000, 'EUR', 'payment_declined', now() - (n || ' seconds')::interval
      FROM (SELECT gen_random_uuid() AS id, n FROM generate_series(1, ${count}) AS n) AS generated`;
    const { response, text } = await csvOf(eventId, organizer.token);
    expect(response.status).toBe(200);
    const [, ...lines] = parseCsv(text);
    expect(lines).toHaveLength(count);
    expect(new Set(lines.map((line) => line[2]))).toEqual(new Set(['A-1,B-2']));
    const created = lines.map((line) => line[7] ?? '');
    expect(created).toEqual([...created].sort());
  });

  it('is for the event’s organizer and admins only, like the other organizer routes', async () => {
    expect((await csvOf(reservedEvent, adminToken)).response.status).toBe(200);
    const other = await stack.http.user('organizer');
    for (const [token, status, code] of [
      [other.token, 403, 'forbidden'],
      [customer.token, 403, 'forbidden'],
      [undefined, 401, 'unauthorized'],
    ] as const) {
      const { response, text } = await csvOf(reservedEvent, token);
      expect(response.status).toBe(status);
      expect(JSON.parse(text)).toMatchObject({ error: code, message: expect.any(String) });
    }
    const missing = await csvOf(randomUUID(), organizer.token);
    expect(missing.response.status).toBe(404);
    expect(JSON.parse(missing.text)).toMatchObject({ error: 'event_not_found' });
  });
});

describe('GET /api/reports/sales', () => {
  it('per day and event, adds up to each event’s /stats', async () => {
    const report = await stack.http.get(`/api/reports/sales?from=${dayOffset(-1)}&to=${today()}`, adminToken);
    expect(report.status).toBe(200);
    const parsed = contract.salesReport.strict().parse(report.body);
    expect(parsed).toMatchObject({ from: dayOffset(-1), to: today() });
    for (const eventId of [reservedEvent, generalEvent]) {
      const stats = await stack.http.get<contract.SalesStats>(`/api/events/${eventId}/stats`, organizer.token);
      expect(stats.status).toBe(200);
      const days = parsed.days.filter((day) => day.eventId === eventId);
      expect(days.length).toBeGreaterThan(0);
      const sum = (pick: (day: contract.SalesDay) => number) => days.reduce((total, day) => total + pick(day), 0);
      expect({ sold: sum((day) => day.sold), revenueCents: sum((day) => day.revenueCents), refundedCents: sum((day) => day.refundedCents) }).toEqual({
        sold: stats.body.sold,
        revenueCents: stats.body.revenueCents,
        refundedCents: stats.body.refundedCents,
      });
    }
    // What the test booked: 2 seats paid and kept, 3 paid and refunded; 3 general-admission tickets.
    expect(parsed.days.filter((day) => day.eventId === reservedEvent).map(({ sold, revenueCents, refundedCents, currency }) => ({ sold, revenueCents, refundedCents, currency }))).toEqual([
      { sold: 2, revenueCents: 4000, refundedCents: 6000, currency: 'EUR' },
    ]);
    expect(parsed.days.find((day) => day.eventId === generalEvent)).toMatchObject({ sold: 3, revenueCents: 4500, refundedCents: 0 });
  });

  it('leaves out the days outside the range', async () => {
    const report = await stack.http.get<contract.SalesReport>(`/api/reports/sales?from=${dayOffset(-30)}&to=${dayOffset(-2)}`, adminToken);
    expect(report.status).toBe(200);
    expect(report.body.days.filter((day) => day.eventId === reservedEvent || day.eventId === generalEvent)).toEqual([]);
  });

  it('refuses bad dates, from after to and ranges too long with 400, and non-admins', async () => {
    const bad = [
      '',
      `?from=${today()}`,
      `?from=yesterday&to=${today()}`,
      `?from=2026-02-30&to=2026-03-01`,
      `?from=${today()}T00:00:00Z&to=${today()}`,
      `?from=${dayOffset(1)}&to=${today()}`,
      `?from=${dayOffset(-MAX_REPORT_DAYS)}&to=${today()}`,
      `?from=${today()}&from=${today()}&to=${today()}`,
    ];
    for (const query of bad) {
      const answer = await stack.http.get(`/api/reports/sales${query}`, adminToken);
      expect(answer.status, query).toBe(400);
      expect(answer.body).toMatchObject({ error: 'validation_failed', message: expect.any(String) });
    }
    expect((await stack.http.get(`/api/reports/sales?from=${dayOffset(-MAX_REPORT_DAYS + 1)}&to=${today()}`, adminToken)).status).toBe(200);
    expect((await stack.http.get(`/api/reports/sales?from=${today()}&to=${today()}`, organizer.token)).status).toBe(403);
    expect((await stack.http.get(`/api/reports/sales?from=${today()}&to=${today()}`)).status).toBe(401);
  });

  it('is in the OpenAPI document with its contract schema, the CSV as text/csv', async () => {
    const document = await stack.http.get<{ paths: Record<string, Record<string, { parameters: { name: string; in: string }[]; responses: Record<string, { content?: Record<string, unknown> }> }>> }>('/openapi.json');
    const report = document.body.paths['/api/reports/sales']?.get;
    expect(report?.parameters.map((parameter) => `${parameter.in}:${parameter.name}`)).toEqual(['query:from', 'query:to']);
    expect(report?.responses['200']?.content).toMatchObject({ 'application/json': { schema: { type: 'object', required: expect.arrayContaining(['from', 'to', 'days']) } } });
    expect(Object.keys(document.body.paths['/api/events/{id}/sales.csv']?.get?.responses['200']?.content ?? {})).toEqual(['text/csv']);
  });
});
