import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import * as contract from '../api/contract/index.js';
import type { ErrorBody } from '../api/contract/index.js';
import { startStack, type Stack } from './support/stack.js';

let stack: Stack;
let organizer: { token: string; id: string };
let customer: { token: string; id: string };

beforeAll(async () => {
  stack = await startStack();
  organizer = await stack.http.user('organizer');
  customer = await stack.http.user('customer');
});
afterAll(() => stack?.stop());

const eventBody = () => ({ name: 'Contract test', venue: 'Hall', startsAt: new Date(Date.now() + 86_400_000).toISOString(), priceCents: 1000, seating: { type: 'reserved', rows: 2, seatsPerRow: 3 } });

function expectError(result: { status: number; body: unknown }, status: number, code: string): void {
  expect(result.status).toBe(status);
  expect(result.body).toMatchObject({ error: code, message: expect.any(String) });
}

describe('identity', () => {
  it('registers, logs in and answers /api/me with the same user', async () => {
    const email = `Someone-${Date.now()}@Example.test`;
    const registered = await stack.http.post<{ user: { id: string; email: string; role: string }; token: string }>('/api/auth/register', { email, password: 'a long password', name: 'Someone' });
    expect(registered.status).toBe(201);
    expect(registered.body.user).toMatchObject({ email: email.toLowerCase(), role: 'customer' });
    const [stored] = await stack.owner.sql<{ password_hash: string }[]>`SELECT password_hash FROM identity.users WHERE id = ${registered.body.user.id}`;
    expect(stored?.password_hash).toMatch(/^\$argon2id\$v=19\$m=7168,t=5,p=1\$/);
    const login = await stack.http.post<{ token: string }>('/api/auth/login', { email, password: 'a long password' });
    expect(login.status).toBe(200);
    const me = await stack.http.get('/api/me', login.body.token);
    expect(me.body).toMatchObject({ id: registered.body.user.id, name: 'Someone' });
  });

  it('refuses a second account with the same email, in any case, and changes nothing', async () => {
    const email = `twice-${Date.now()}@example.test`;
    expect((await stack.http.post('/api/auth/register', { email, password: 'a long password', name: 'One' })).status).toBe(201);
    expectError(await stack.http.post('/api/auth/register', { email: email.toUpperCase(), password: 'another password', name: 'Two' }), 409, 'email_taken');
    const [count] = await stack.owner.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM identity.users WHERE email = ${email}`;
    expect(count?.count).toBe(1);
  });

  it('answers wrong passwords, missing and bad tokens with 401', async () => {
    expectError(await stack.http.post('/api/auth/login', { email: 'nobody@example.test', password: 'whatever' }), 401, 'invalid_credentials');
    expectError(await stack.http.get('/api/me'), 401, 'unauthorized');
    expectError(await stack.http.get('/api/me', 'not-a-token'), 401, 'unauthorized');
  });

  it('never lets anyone register as admin, and keeps /api/users for admins', async () => {
    expectError(await stack.http.post('/api/auth/register', { email: `x-${Date.now()}@example.test`, password: 'a long password', name: 'X', role: 'admin' }), 400, 'validation_failed');
    expectError(await stack.http.get('/api/users', customer.token), 403, 'forbidden');
  });
});

describe('events', () => {
  it('an organizer creates an event: 201 with Location, listed with its availability', async () => {
    const created = await stack.http.post<{ id: string; availability: unknown; status: string }>('/api/events', eventBody(), organizer.token);
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/api/events/${created.body.id}`);
    expect(created.body).toMatchObject({ status: 'on_sale', availability: { total: 6, available: 6, held: 0, sold: 0 } });
    const listed = await stack.http.get<{ events: { id: string }[] }>('/api/events');
    expect(listed.body.events.map((event) => event.id)).toContain(created.body.id);
    const seats = await stack.http.get<{ seats: { id: string; status: string }[] }>(`/api/events/${created.body.id}/seats`);
    expect(seats.body.seats.map((seat) => seat.id)).toEqual(['A-1', 'A-2', 'A-3', 'B-1', 'B-2', 'B-3']);
  });

  it('a customer may not create an event (403), and nothing is stored', async () => {
    const before = await stack.owner.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM catalog.events`;
    expectError(await stack.http.post('/api/events', eventBody(), customer.token), 403, 'forbidden');
    const after = await stack.owner.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM catalog.events`;
    expect(after[0]?.count).toBe(before[0]?.count);
  });

  it('only its organizer or an admin may change an event or see its stats', async () => {
    const id = await stack.http.event(organizer.token);
    const other = await stack.http.user('organizer');
    expectError(await stack.http.request('PATCH', `/api/events/${id}`, { token: other.token, body: { name: 'Hijacked' } }), 403, 'forbidden');
    const patched = await stack.http.request('PATCH', `/api/events/${id}`, { token: organizer.token, body: { name: 'Renamed' } });
    expect(patched.status).toBe(200);
    expect(patched.body.name).toBe('Renamed');
    expectError(await stack.http.get(`/api/events/${id}/stats`, other.token), 403, 'forbidden');
    const stats = await stack.http.get(`/api/events/${id}/stats`, organizer.token);
    expect(stats.body).toMatchObject({ sold: 0, held: 0, available: 15, revenueCents: 0, reservations: { confirmed: 0 } });
  });

  it('answers unknown ids with 404 event_not_found', async () => {
    expectError(await stack.http.get('/api/events/00000000-0000-4000-8000-00000000dead'), 404, 'event_not_found');
    expectError(await stack.http.get('/api/events/not-a-uuid'), 404, 'event_not_found');
  });
});

describe('bad input gets the contract’s error and changes nothing', () => {
  it('malformed JSON is 400 malformed_json', async () => {
    expectError(await stack.http.request('POST', '/api/events', { token: organizer.token, rawBody: '{"name": ' }), 400, 'malformed_json');
  });

  it('wrong types name the field', async () => {
    const result = await stack.http.post<ErrorBody>('/api/events', { ...eventBody(), priceCents: 'free' }, organizer.token);
    expectError(result, 400, 'validation_failed');
    expect(result.body.message).toContain('priceCents');
  });

  it('unknown fields are refused', async () => {
    expectError(await stack.http.post('/api/events', { ...eventBody(), discount: 50 }, organizer.token), 400, 'validation_failed');
  });

  it('a huge body is 413', async () => {
    const huge = JSON.stringify({ ...eventBody(), description: 'x'.repeat(200_000) });
    expectError(await stack.http.request('POST', '/api/events', { token: organizer.token, rawBody: huge }), 413, 'payload_too_large');
  });

  it('unknown routes are 404 and wrong methods 405, in the same shape', async () => {
    expectError(await stack.http.get('/api/nothing-here'), 404, 'not_found');
    expectError(await stack.http.request('PUT', '/api/events'), 405, 'method_not_allowed');
  });
});

describe('operations', () => {
  it('answers /healthz, /readyz and /metrics', async () => {
    expect((await stack.http.get('/healthz')).status).toBe(200);
    const ready = await stack.http.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ checks: { postgres: 'ok', temporal: 'ok' } });
    const metrics = await fetch(`${stack.baseUrl}/metrics`);
    const text = await metrics.text();
    expect(text).toContain('http_request_duration_seconds_bucket');
    expect(text).toContain('route="/readyz"');
  });

  it('serves an OpenAPI document generated from the request schemas', async () => {
    const document = await stack.http.get<{ openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } }>> }>('/openapi.json');
    expect(document.body.openapi).toBe('3.1.0');
    for (const path of ['/api/auth/register', '/api/events', '/api/events/{id}', '/api/reservations', '/api/reservations/{id}/pay', '/api/tickets/{code}/check-in']) {
      expect(Object.keys(document.body.paths)).toContain(path);
    }
    const reservationBody = document.body.paths['/api/reservations']?.post?.requestBody?.content['application/json']?.schema;
    expect(Object.keys(reservationBody?.properties ?? {})).toEqual(expect.arrayContaining(['eventId', 'seats', 'quantity', 'paymentToken']));
  });

  it('serves the seat-picker page at /', async () => {
    const page = await fetch(`${stack.baseUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
  });
});

describe('the typed contract', () => {
  /** The answer parses with its contract schema and keeps every field: nothing the schema does not know. */
  function expectShape(schema: z.ZodType, result: { status: number; body: unknown }, status: number): void {
    expect(result.status).toBe(status);
    const parsed = schema.safeParse(result.body);
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data).toEqual(result.body);
  }

  it('every answer of a booking’s life matches api/contract, field for field', async () => {
    const event = await stack.http.post<{ id: string }>('/api/events', eventBody(), organizer.token);
    expectShape(contract.event, event, 201);
    expectShape(contract.eventList, await stack.http.get('/api/events'), 200);
    expectShape(contract.seatMap, await stack.http.get(`/api/events/${event.body.id}/seats`), 200);
    expectShape(contract.session, await stack.http.post('/api/auth/register', { email: `shape-${Date.now()}@example.test`, password: 'a long password', name: 'Shape' }), 201);
    expectShape(contract.user, await stack.http.get('/api/me', customer.token), 200);

    const held = await stack.http.post<{ id: string }>('/api/reservations', { eventId: event.body.id, seats: ['A-1'] }, customer.token);
    expectShape(contract.reservation, held, 201);
    const confirmed = await stack.http.post<{ tickets: { code: string }[] }>(`/api/reservations/${held.body.id}/pay`, { paymentToken: 'tok_visa' }, customer.token);
    expectShape(contract.reservation, confirmed, 200);
    expectShape(contract.reservation, await stack.http.get(`/api/reservations/${held.body.id}`, customer.token), 200);
    expectShape(contract.reservationList, await stack.http.get('/api/reservations', customer.token), 200);
    const code = confirmed.body.tickets[0]?.code ?? '';
    expectShape(contract.ticket, await stack.http.get(`/api/tickets/${code}`), 200);
    expectShape(contract.reservationError, await stack.http.post('/api/reservations', { eventId: event.body.id, seats: ['A-1'], paymentToken: 'tok_visa' }, customer.token), 409);
    expectShape(contract.salesStats, await stack.http.get(`/api/events/${event.body.id}/stats`, organizer.token), 200);
    expectShape(contract.cancellation, await stack.http.post(`/api/reservations/${held.body.id}/cancel`, {}, customer.token), 200);
    expectShape(contract.pendingReservation, await stack.http.post('/api/reservations', { eventId: event.body.id, seats: ['B-1'] }, customer.token, { prefer: 'respond-async' }), 202);
    expectShape(contract.errorBody, await stack.http.get('/api/reservations/not-an-id', customer.token), 400);
  });

  it('the waiting room’s answers match api/contract, field for field, and its routes are in the OpenAPI document', async () => {
    // Within QUEUE_JOIN_LEAD_SECONDS (15 min) of the opening: joins are taken.
    const opensAt = new Date(Date.now() + 600_000).toISOString();
    const event = await stack.http.post<{ id: string }>('/api/events', { ...eventBody(), queue: { opensAt, admitPerMinute: 100 } }, organizer.token);
    expectShape(contract.event, event, 201);
    expect(event.body).toMatchObject({ queue: { opensAt, admitPerMinute: 100 } });
    expectShape(contract.queuePlace, await stack.http.post(`/api/events/${event.body.id}/queue`, {}, customer.token), 201);
    expectShape(contract.queuePlace, await stack.http.post(`/api/events/${event.body.id}/queue`, {}, customer.token), 200);
    expectShape(contract.queuePlace, await stack.http.get(`/api/events/${event.body.id}/queue/me`, customer.token), 200);
    expectShape(contract.queueOverview, await stack.http.get(`/api/events/${event.body.id}/queue`, organizer.token), 200);
    expectShape(contract.errorBody, await stack.http.post('/api/reservations', { eventId: event.body.id, seats: ['A-1'] }, customer.token), 403);
    const document = await stack.http.get<{ paths: Record<string, Record<string, unknown>> }>('/openapi.json');
    expect(Object.keys(document.body.paths['/api/events/{id}/queue'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(document.body.paths['/api/events/{id}/queue/me'] ?? {})).toEqual(['get']);
  });

  it('the OpenAPI document carries the contract schema of each answer and the validated headers', async () => {
    const document = await stack.http.get<{ paths: Record<string, Record<string, { parameters: { name: string; in: string }[]; responses: Record<string, { content?: unknown }> }>> }>('/openapi.json');
    const create = document.body.paths['/api/reservations']?.post;
    expect(create?.parameters.filter((p) => p.in === 'header').map((p) => p.name).sort()).toEqual(['admission-token', 'booking-protocol', 'idempotency-key', 'prefer']);
    expect(create?.responses['201']?.content).toMatchObject({ 'application/json': { schema: { type: 'object', required: expect.arrayContaining(['id', 'status', 'workflowId']) } } });
  });
});
