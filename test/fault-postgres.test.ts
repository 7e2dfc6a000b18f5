import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pollUntil } from '../lib/poll.js';
import { LiveClient } from './support/live-client.js';
import { startPrivateStack, type PrivateStack } from './support/private-stack.js';

/**
 * Postgres goes away under the running system (its own cluster): the processes ride it out and
 * recover by themselves, the API answers 503 quickly meanwhile, nothing is lost (docs/faults.md).
 * The projection sweeps only once a minute and the live feed never checks versions by itself here,
 * so what reaches the read model and the sockets came by NOTIFY, over a re-established LISTEN.
 */
let stack: PrivateStack;
let organizer: { token: string };
let customer: { token: string; id: string };

beforeAll(async () => {
  // Seats in flight off: overlapping bookings must run together, racing at the seat-lock while
  // Postgres restarts; otherwise the API would refuse the later ones at once (test/fail-fast.test.ts).
  stack = await startPrivateStack(55440, { projectionSweepMs: 60_000, env: { LIVE_RESYNC_CHECK_MS: '600000', SEATS_IN_FLIGHT_TTL_MS: '0' } });
  organizer = await stack.http.user('organizer');
  customer = await stack.http.user('customer');
});
afterAll(async () => {
  await stack?.stop();
});

const readyWithin = (timeoutMs: number) =>
  pollUntil(async () => ((await stack.http.get('/readyz').catch(() => undefined))?.status === 200 ? true : undefined), { timeoutMs, intervalMs: 100, what: '/readyz to answer 200' });

async function projectionListenPid(): Promise<number | undefined> {
  const [row] = await stack.owner.sql<{ pid: number }[]>`
    SELECT pid FROM pg_stat_activity WHERE application_name = 'boxoffice-projection' AND query ILIKE 'listen%'`;
  return row?.pid;
}

it("the projection's LISTEN connection killed: it re-LISTENs, and a later booking reaches the read model and a WebSocket client", async () => {
  const eventId = await stack.http.event(organizer.token, { type: 'reserved', rows: 2, seatsPerRow: 5 });
  const watcher = await LiveClient.connect(stack.wsUrl);
  watcher.subscribe(eventId);
  await watcher.next((message) => message.type === 'snapshot' && message.eventId === eventId);

  const killed = await projectionListenPid();
  expect(killed).toBeDefined();
  await stack.owner.sql`SELECT pg_terminate_backend(${killed ?? 0})`;
  await pollUntil(async () => {
    const pid = await projectionListenPid();
    return pid !== undefined && pid !== killed ? pid : undefined;
  }, { timeoutMs: 5000, intervalMs: 50, what: 'the projection to LISTEN again' });

  const held = await stack.http.post<{ status: string }>('/api/reservations', { eventId, seats: ['A-1'] }, customer.token);
  expect(held.status).toBe(201);
  await expect.poll(async () => (await stack.owner.sql`SELECT status FROM readmodel.seat_states WHERE event_id = ${eventId} AND seat_id = 'A-1'`)[0]?.status, { timeout: 5000, interval: 50 }).toBe('held');
  await watcher.next((message) => message.type === 'seats' && message.eventId === eventId && (message.changes ?? []).some((change) => change.id === 'A-1' && change.status === 'held'), 5000);
  expect(watcher.breaches).toEqual([]);
  await watcher.close();
});

it('during an outage: /readyz names Postgres, a request needing it gets 503 + Retry-After at once, a known reservation still answers; ready again soon after', async () => {
  const eventId = await stack.http.event(organizer.token, { type: 'reserved', rows: 2, seatsPerRow: 5 });
  const held = await stack.http.post<{ id: string; status: string }>('/api/reservations', { eventId, seats: ['B-1'] }, customer.token);
  expect(held.body.status).toBe('held');

  stack.postgres.kill();
  try {
    const started = performance.now();
    const refused = await stack.http.post<{ error: string }>('/api/reservations', { eventId, seats: ['B-2'] }, customer.token);
    const elapsedMs = performance.now() - started;
    expect(refused.status).toBe(503);
    expect(refused.body.error).toBe('service_unavailable');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(elapsedMs).toBeLessThan(2000);

    const ready = await stack.http.get<{ error: string; details: { down: string[] } }>('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.details.down).toEqual(['postgres']);

    // Its booking row cannot be read: the saga's own state answers.
    const known = await stack.http.get<{ id: string; status: string }>(`/api/reservations/${held.body.id}`, customer.token);
    expect(known.status).toBe(200);
    expect(known.body).toMatchObject({ id: held.body.id, status: 'held' });
  } finally {
    stack.postgres.start();
  }
  const back = performance.now();
  await readyWithin(10_000);
  console.log(`ready ${Math.round(performance.now() - back)} ms after Postgres was back`);
});

it('Postgres restarted with bookings in flight: each ends confirmed or failed, the stack recovers by itself, the invariants hold', async () => {
  const eventId = await stack.http.event(organizer.token, { type: 'reserved', rows: 5, seatsPerRow: 6 });
  const customers = await Promise.all(Array.from({ length: 6 }, () => stack.http.user('customer')));
  const book = (index: number) => {
    const row = String.fromCharCode(65 + (index % 4));
    const first = 1 + ((index * 2) % 5);
    const who = customers[index % customers.length] ?? customer;
    return stack.http.post<{ id: string; workflowId: string }>('/api/reservations', { eventId, seats: [`${row}-${first}`, `${row}-${first + 1}`], paymentToken: 'tok_visa' }, who.token, { Prefer: 'respond-async' });
  };
  const accepted = (await Promise.all(Array.from({ length: 16 }, (_, index) => book(index)))).filter((answer) => answer.status === 202);
  expect(accepted.length).toBe(16);

  // The sagas are mid-flight: seat locks, charges and tickets lose their connections.
  await delay(50);
  stack.postgres.restart();
  const back = performance.now();
  await readyWithin(10_000);
  const readyAfterMs = performance.now() - back;

  const outcomes = await Promise.all(accepted.map((answer) => stack.temporal.workflow.getHandle(answer.body.workflowId).result()));
  const statuses = outcomes.map((outcome) => outcome.status);
  expect(statuses.every((status) => status === 'confirmed' || status === 'failed')).toBe(true);
  expect(statuses.filter((status) => status === 'confirmed').length).toBeGreaterThan(0);
  // Only the overlapping requests fail, and for that reason: the restart itself failed nothing.
  expect(new Set(outcomes.filter((outcome) => outcome.status === 'failed').map((outcome) => outcome.failureReason))).toEqual(new Set(['seats_unavailable']));

  // A booking after the restart goes all the way through, and the projection caught up by NOTIFY.
  const after = await stack.http.post<{ status: string }>('/api/reservations', { eventId, seats: ['E-1'], paymentToken: 'tok_visa' }, customer.token);
  expect(after.status).toBe(201);
  await expect.poll(async () => (await stack.owner.sql`SELECT status FROM readmodel.seat_states WHERE event_id = ${eventId} AND seat_id = 'E-1'`)[0]?.status, { timeout: 5000, interval: 50 }).toBe('sold');
  await stack.projectionCaughtUp();
  expect(await stack.invariants({ eventIds: [eventId], settled: true, readModel: true })).toEqual([]);
  console.log(`restart: ready after ${Math.round(readyAfterMs)} ms; ${statuses.filter((status) => status === 'confirmed').length} confirmed, ${statuses.filter((status) => status === 'failed').length} failed`);
}, 60_000);
