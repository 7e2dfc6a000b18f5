import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { Client } from '@temporalio/client';
import { unavailableError } from '../api/dependency-errors.js';
import { ReservationClient, reservationIdFor, temporalConnection } from '../api/reservation-client.js';
import { createSimulatedGateway } from '../activities/payment-gateway.js';
import { loadConfig } from '../lib/config.js';
import { pollUntil } from '../lib/poll.js';
import { startPrivateTemporal, type PrivateTemporal } from './support/private-temporal.js';
import { startStack, type Stack } from './support/stack.js';

/**
 * The Temporal server killed (SIGKILL) with bookings in flight, and started again on its file: the
 * API answers 503 quickly meanwhile, still serves what needs no workflow, and API and worker work
 * again by themselves afterwards. A server of this file's own, so killing it disturbs nobody.
 */
const TEMPORAL_PORT = 7372;
/** Nothing listens here (in this test's own port range). */
const DEAD_PORT = 7379;
const WAIT_MS = 2000;

let temporal: PrivateTemporal | undefined;
let temporalDown = false;
let stack: Stack | undefined;
let worker: { stop(): Promise<void> } | undefined;

beforeAll(async () => {
  temporal = await startPrivateTemporal({ cli: inject('temporalCli'), port: TEMPORAL_PORT });
  // Charges take 1.5 s, so sagas are in the middle of their payment when the server dies.
  // Seats in flight off: two workflows must race for A-3 through the outage, and the API would
  // otherwise refuse the second at once (that is test/fail-fast.test.ts's).
  stack = await startStack({ env: { TEMPORAL_ADDRESS: temporal.address, RESERVATION_WAIT_MS: String(WAIT_MS), SEATS_IN_FLIGHT_TTL_MS: '0' }, gateway: createSimulatedGateway({ failureRate: 0, latencyMs: 1500 }), withoutWorker: true });
  worker = await stack.startWorker();
});
afterAll(async () => {
  try {
    // The worker's shutdown needs the server to answer.
    if (temporalDown) await temporal?.start();
    await stack?.stop();
  } finally {
    await temporal?.remove();
  }
});

it('a Temporal that does not answer (nothing on the port) is a 503 within the wait, not a hang', async () => {
  const cfg = loadConfig({ ...process.env, TEMPORAL_ADDRESS: `127.0.0.1:${DEAD_PORT}`, RESERVATION_WAIT_MS: String(WAIT_MS) });
  const connection = temporalConnection(cfg);
  const client = new ReservationClient(new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE }), cfg);
  try {
    for (const call of [() => client.ping(1000), () => client.snapshot(reservationIdFor('someone', 'key')), () => client.cancelEvent('no-such-event', 1)]) {
      const began = Date.now();
      const error: unknown = await call().then(() => undefined, (caught: unknown) => caught);
      expect(Date.now() - began).toBeLessThan(WAIT_MS + 300);
      expect(unavailableError(error, 2)?.dependency, String(error)).toBe('temporal');
    }
  } finally {
    await connection.close();
  }
});

it('the Temporal server killed with bookings in flight: 503 meanwhile, reads still answer, everything finishes after the restart', async () => {
  if (!stack || !temporal) throw new Error('no stack');
  const { http } = stack;
  const organizer = await http.user('organizer');
  const customer = await http.user('customer');
  const eventId = await http.event(organizer.token, { type: 'reserved', rows: 2, seatsPerRow: 5 }, 2000);

  const held = await http.post<{ id: string; status: string }>('/api/reservations', { eventId, seats: ['B-5'] }, customer.token);
  expect(held.status, JSON.stringify(held.body)).toBe(201);
  expect(held.body.status).toBe('held');

  // In flight: three to confirm, one declined, and a second booking of A-3 that must lose.
  const requests = [
    { seats: ['A-1'], paymentToken: 'tok_visa' },
    { seats: ['A-2'], paymentToken: 'tok_visa' },
    { seats: ['A-3'], paymentToken: 'tok_visa' },
    { seats: ['A-3'], paymentToken: 'tok_visa' },
    { seats: ['A-4'], paymentToken: 'tok_declined' },
  ];
  const inFlight = await Promise.all(
    requests.map(async (body, index) => {
      const accepted = await http.post<{ id: string }>('/api/reservations', { eventId, ...body }, customer.token, { Prefer: 'respond-async', 'Idempotency-Key': `in-flight-${index}` });
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
      return accepted.body.id;
    }),
  );
  // Killed once the seat-locks are written: the sagas are at their payment.
  await pollUntil(
    async () => {
      const [row] = await stack!.stores.booking.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM booking.reservations WHERE id IN ${stack!.stores.booking.sql(inFlight)}`;
      return (row?.count ?? 0) >= 4 || undefined;
    },
    { timeoutMs: 15_000, intervalMs: 50, what: 'the in-flight sagas to lock their seats' },
  );
  await temporal.kill();
  temporalDown = true;

  // A booking during the outage: 503 with Retry-After within the wait, never a hang or a 202 for nothing.
  const retried = { eventId, seats: ['B-1'], paymentToken: 'tok_visa' };
  const retryKey = { 'Idempotency-Key': 'during-outage' };
  const began = Date.now();
  const refused = await http.post<{ error: string; details?: { dependency?: string } }>('/api/reservations', retried, customer.token, retryKey);
  const refusedAfterMs = Date.now() - began;
  expect(refused.status, JSON.stringify(refused.body)).toBe(503);
  expect(refused.body.error).toBe('service_unavailable');
  expect(refused.body.details?.dependency).toBe('temporal');
  expect(refused.headers.get('retry-after')).toBe('2');
  expect(refusedAfterMs).toBeLessThan(WAIT_MS + 500);
  const asyncBegan = Date.now();
  const refusedAsync = await http.post('/api/reservations', retried, customer.token, { ...retryKey, Prefer: 'respond-async' });
  expect(refusedAsync.status).toBe(503);
  expect(Date.now() - asyncBegan).toBeLessThan(WAIT_MS + 500);

  // What needs no workflow still answers: a known reservation (its booking row), the seat map, the events, liveness.
  const known = await http.get<{ status: string }>(`/api/reservations/${held.body.id}`, customer.token);
  expect(known.status).toBe(200);
  expect(known.body.status).toBe('held');
  expect((await http.get(`/api/events/${eventId}/seats`)).status).toBe(200);
  expect((await http.get('/api/events')).status).toBe(200);
  expect((await http.get('/healthz')).status).toBe(200);
  expect((await http.get('/readyz')).status).toBe(503);

  await temporal.start();
  temporalDown = false;
  const backAt = Date.now();

  // The client retries with the same key: one reservation, confirmed; API and worker back by themselves within 10 s.
  const accepted = await pollUntil(
    async () => {
      const answer = await http.post<{ id: string; status: string }>('/api/reservations', retried, customer.token, retryKey);
      return answer.status === 503 ? undefined : answer;
    },
    { timeoutMs: 10_000, intervalMs: 250, what: 'the API to book again after the restart' },
  );
  expect([201, 202], JSON.stringify(accepted.body)).toContain(accepted.status);
  expect(accepted.body.id).toBe(reservationIdFor(customer.id, 'during-outage'));
  await pollUntil(
    async () => {
      const polled = await http.get<{ status: string }>(`/api/reservations/${accepted.body.id}`, customer.token);
      return polled.body.status === 'confirmed' || undefined;
    },
    { timeoutMs: Math.max(1, 10_000 - (Date.now() - backAt)), intervalMs: 100, what: 'the booking after the restart to be confirmed' },
  );
  expect(Date.now() - backAt).toBeLessThan(10_000);
  const again = await http.post<{ id: string; status: string }>('/api/reservations', retried, customer.token, retryKey);
  expect(again.status).toBe(201);
  expect(again.body).toMatchObject({ id: accepted.body.id, status: 'confirmed' });

  // Every booking accepted before the outage ends: confirmed, or cleanly failed.
  const outcomes = await Promise.all(
    inFlight.map((id) =>
      pollUntil(
        async () => {
          const polled = await http.get<{ status: string }>(`/api/reservations/${id}`, customer.token);
          return polled.status === 200 && ['confirmed', 'failed'].includes(polled.body.status) ? polled.body.status : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200, what: `reservation ${id} to end` },
      ),
    ),
  );
  expect(outcomes.slice(0, 2)).toEqual(['confirmed', 'confirmed']);
  expect([...outcomes.slice(2, 4)].sort()).toEqual(['confirmed', 'failed']);
  expect(outcomes[4]).toBe('failed');

  const cancelled = await http.post<{ status: string }>(`/api/reservations/${held.body.id}/cancel`, {}, customer.token);
  expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);

  // None lost, none twice: one row per reservation, one capture per confirmed booking.
  const rows = await stack.stores.booking.sql<{ id: string; status: string }[]>`SELECT id, status FROM booking.reservations WHERE event_id = ${eventId}`;
  expect(rows.map((row) => row.id).sort()).toEqual([...inFlight, held.body.id, accepted.body.id].sort());
  const captured = await stack.stores.payments.sql<{ reservation_id: string }[]>`SELECT reservation_id FROM payments.charges WHERE status = 'captured' AND reservation_id IN ${stack.stores.payments.sql(rows.map((row) => row.id))}`;
  expect(captured.map((row) => row.reservation_id).sort()).toEqual(rows.filter((row) => row.status === 'confirmed').map((row) => row.id).sort());
  await stack.projectionCaughtUp();
  expect(await stack.invariants({ eventIds: [eventId], settled: true, readModel: true })).toEqual([]);
}, 60_000);

it('a workflow that started but has not answered within the wait is a 202 with its Location, not a 503', async () => {
  if (!stack) throw new Error('no stack');
  const { http } = stack;
  const organizer = await http.user('organizer');
  const customer = await http.user('customer');
  const eventId = await http.event(organizer.token, { type: 'reserved', rows: 1, seatsPerRow: 2 }, 2000);
  // The server answers, but no worker takes the saga's first task: the start is never acknowledged.
  await worker?.stop();
  worker = undefined;
  const began = Date.now();
  const accepted = await http.post<{ id: string; status: string }>('/api/reservations', { eventId, seats: ['A-1'], paymentToken: 'tok_visa' }, customer.token, { 'Idempotency-Key': 'no-worker' });
  expect(Date.now() - began).toBeLessThan(WAIT_MS + 500);
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
  expect(accepted.headers.get('location')).toBe(`/api/reservations/${accepted.body.id}`);

  worker = await stack.startWorker();
  await pollUntil(
    async () => {
      const polled = await http.get<{ status: string }>(`/api/reservations/${accepted.body.id}`, customer.token);
      return polled.body.status === 'confirmed' || undefined;
    },
    { timeoutMs: 20_000, intervalMs: 200, what: 'the saga to be confirmed once a worker runs' },
  );
  await stack.projectionCaughtUp();
  expect(await stack.invariants({ eventIds: [eventId], settled: true, readModel: true })).toEqual([]);
});
