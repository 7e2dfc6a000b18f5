import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueOverview, queuePlace, type QueuePlace } from '../api/contract/index.js';
import { Tokens } from '../api/auth.js';
import { createWaitingRoomActivities } from '../activities/waiting-room.js';
import { pollUntil } from '../lib/poll.js';
import { waitingRoomWorkflowId } from '../lib/waiting-room.js';
import type { WaitingRoomEnd } from '../workflows/waiting-room.js';
import { waitingRoomProgressQuery } from '../workflows/waiting-room-messages.js';
import { LiveClient, type LiveMessage } from './support/live-client.js';
import { startStack, type Stack } from './support/stack.js';

/**
 * The waiting room on the suite's real Temporal dev server and Postgres: real timers, the real
 * on-sale workflow and activities. Ticks every 200 ms, a new run every 5; an admission lasts 4 s; the adaptive window
 * is pinned to one buyer at a time, so that who is admitted when is exact.
 */
const WINDOW_SECONDS = 4;
let stack: Stack;
let organizer: { token: string; id: string };

beforeAll(async () => {
  stack = await startStack({
    // A run continues as new every 5 ticks (a second), so every test here crosses runs.
    env: { QUEUE_TICK_MS: '200', QUEUE_TICKS_PER_RUN: '5', QUEUE_ADMISSION_WINDOW_SECONDS: String(WINDOW_SECONDS), QUEUE_JOIN_LEAD_SECONDS: '3600', QUEUE_MIN_WINDOW: '1', QUEUE_MAX_WINDOW: '1' },
  });
  organizer = await stack.http.user('organizer');
});
afterAll(async () => {
  await stack?.stop();
});

type Customer = Awaited<ReturnType<Stack['http']['user']>>;
type Seating = { type: 'reserved'; rows: number; seatsPerRow: number } | { type: 'general'; capacity: number };

async function queuedEvent(options: { opensInMs: number; admitPerMinute?: number; seating?: Seating; on?: Stack }): Promise<string> {
  const on = options.on ?? stack;
  const created = await on.http.post<{ id: string; queue: unknown }>(
    '/api/events',
    {
      name: 'On sale',
      venue: 'Arena',
      startsAt: new Date(Date.now() + 86_400_000).toISOString(),
      priceCents: 1000,
      seating: options.seating ?? { type: 'reserved', rows: 4, seatsPerRow: 5 },
      queue: { opensAt: new Date(Date.now() + options.opensInMs).toISOString(), ...(options.admitPerMinute ? { admitPerMinute: options.admitPerMinute } : {}) },
    },
    organizer.token,
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id;
}

const join = (eventId: string, token: string, on = stack) => on.http.request<QueuePlace>('POST', `/api/events/${eventId}/queue`, { token });
const me = (eventId: string, token: string, on = stack) => on.http.get<QueuePlace>(`/api/events/${eventId}/queue/me`, token);

interface PlaceRecord {
  account_id: string;
  place: number | null;
  status: string;
  draw_key: string;
  joined_at: string;
  admitted_at: string | null;
}
const placesOf = (eventId: string) =>
  stack.owner.sql<PlaceRecord[]>`SELECT account_id::text, place, status::text, draw_key::text, joined_at::text, admitted_at::text FROM waitroom.places WHERE event_id = ${eventId} ORDER BY joined_at, account_id`;
const queueStateOf = async (eventId: string) => (await stack.owner.sql<{ state: string; admitted_through: number }[]>`SELECT state::text, admitted_through FROM waitroom.queues WHERE event_id = ${eventId}`)[0];

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  return pollUntil(probe, { timeoutMs, intervalMs: 100, what });
}

async function waitForStatus(eventId: string, token: string, status: QueuePlace['status'], on = stack): Promise<QueuePlace> {
  return waitFor(`status ${status}`, async () => {
    const answer = await me(eventId, token, on);
    return answer.body.status === status ? answer.body : undefined;
  });
}

const reservationsOf = (customerId: string) => stack.stores.booking.sql<{ id: string }[]>`SELECT id FROM booking.reservations WHERE customer_id = ${customerId}`;

describe('joining', () => {
  it('joining twice returns the same place; the account never holds two', async () => {
    const eventId = await queuedEvent({ opensInMs: 3_600_000 });
    const customer = await stack.http.user();
    const first = await join(eventId, customer.token);
    expect(first.status).toBe(201);
    expect(queuePlace.parse(first.body)).toMatchObject({ eventId, status: 'pre_queue', place: null, position: null });
    expect(first.body.estimatedWaitSeconds).toBeGreaterThan(3_500);
    const again = await join(eventId, customer.token);
    expect(again.status).toBe(200);
    // The same place (the estimate counts down to the opening, so it may be a second less).
    const samePlace = ({ estimatedWaitSeconds: _estimate, ...rest }: QueuePlace) => rest;
    expect(samePlace(again.body)).toEqual(samePlace(first.body));
    expect(samePlace((await me(eventId, customer.token)).body)).toEqual(samePlace(first.body));
    const together = await Promise.all([join(eventId, customer.token), join(eventId, customer.token), join(eventId, customer.token)]);
    expect(together.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(await placesOf(eventId)).toHaveLength(1);
  });

  it('a second account joining at the same moment as the first gets a place of its own; GET /queue/me before joining is 404', async () => {
    const eventId = await queuedEvent({ opensInMs: 3_600_000 });
    const [a, b] = await Promise.all([stack.http.user(), stack.http.user()]);
    expect((await me(eventId, a.token)).body).toMatchObject({ error: 'queue_place_not_found' });
    const answers = await Promise.all([join(eventId, a.token), join(eventId, b.token)]);
    expect(answers.map((answer) => answer.status)).toEqual([201, 201]);
    expect(new Set((await placesOf(eventId)).map((row) => row.account_id))).toEqual(new Set([a.id, b.id]));
  });

  it('an event without a queue has none to join; a queue not yet taking places says from when', async () => {
    const customer = await stack.http.user();
    const plain = await stack.http.event(organizer.token);
    expect((await join(plain, customer.token)).body).toMatchObject({ error: 'queue_not_found' });
    const created = await stack.http.post<{ id: string; queue: { joinOpensAt: string } }>(
      '/api/events',
      { name: 'Far off', venue: 'Arena', startsAt: new Date(Date.now() + 10 * 86_400_000).toISOString(), priceCents: 1000, seating: { type: 'general', capacity: 10 }, queue: { opensAt: new Date(Date.now() + 5 * 86_400_000).toISOString() } },
      organizer.token,
    );
    const early = await join(created.body.id, customer.token);
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ error: 'queue_not_open', details: { joinOpensAt: created.body.queue.joinOpensAt } });
    expect(await placesOf(created.body.id)).toHaveLength(0);
  });
});

describe('order and admission', () => {
  it('those who joined before the opening get a random order, fixed at the opening; later arrivals follow in arrival order; admission follows the order exactly', async () => {
    const eventId = await queuedEvent({ opensInMs: 6_000, admitPerMinute: 300 });
    const early: Customer[] = [];
    for (let i = 0; i < 8; i++) early.push(await stack.http.user());
    for (const customer of early) expect((await join(eventId, customer.token)).status).toBe(201);
    await waitFor('the opening', async () => ((await queueStateOf(eventId))?.state === 'open' ? true : undefined));
    const drawn = await placesOf(eventId);
    // The pre-queue's places are 1..8 in the order of the keys drawn at the joins.
    const byKey = [...drawn].sort((x, y) => (BigInt(x.draw_key) < BigInt(y.draw_key) ? -1 : 1));
    expect(byKey.map((row) => row.place)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const joinOrder = early.map((customer) => drawn.find((row) => row.account_id === customer.id)?.place);
    // Random: not the joining order (a 1 in 40,320 chance that a correct draw fails this).
    expect(joinOrder).not.toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    const late: (number | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const customer = await stack.http.user();
      const answer = await join(eventId, customer.token);
      expect(answer.status).toBe(201);
      late.push(answer.body.place);
    }
    expect(late).toEqual([9, 10, 11]);

    await waitFor('every place admitted', async () => ((await queueStateOf(eventId))?.admitted_through === 11 ? true : undefined));
    const admitted = await placesOf(eventId);
    // Admission went on across runs of the on-sale workflow (continue-as-new every 5 ticks).
    const runs = [];
    for await (const run of stack.temporal.workflow.list({ query: `WorkflowId = '${waitingRoomWorkflowId(eventId)}'` })) runs.push(run.runId);
    expect(runs.length).toBeGreaterThan(1);
    // The draw's places did not move.
    for (const row of drawn) expect(admitted.find((later) => later.account_id === row.account_id)?.place).toBe(row.place);
    const byPlace = [...admitted].sort((x, y) => (x.place ?? 0) - (y.place ?? 0));
    const times = byPlace.map((row) => Date.parse(row.admitted_at ?? ''));
    // Never a place before one ahead of it (a slow tick may admit two at once: the rate is per minute).
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1] ?? 0);
    expect(new Set(times).size).toBeGreaterThan(1);
  });

  it('joins racing the opening: every join answered before the draw is in it, later ones follow it, and no place is given twice or skipped', async () => {
    const opensInMs = 4_000;
    const customers: Customer[] = [];
    for (let k = 0; k < 40; k++) customers.push(await stack.http.user());
    const eventId = await queuedEvent({ opensInMs });
    const opensAt = Date.now() + opensInMs - 200;
    // 40 joins, one every 50 ms, from 1 s before the opening to 1 s after it (the draw runs in that span).
    const answers = await Promise.all(
      customers.map(async (customer, k) => {
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, opensAt - 1_000 + k * 50 - Date.now())));
        return join(eventId, customer.token);
      }),
    );
    await waitFor('the opening', async () => ((await queueStateOf(eventId))?.state === 'open' ? true : undefined));
    // And some surely after it.
    const after: Customer[] = [];
    for (let k = 0; k < 3; k++) after.push(await stack.http.user());
    answers.push(...(await Promise.all(after.map((customer) => join(eventId, customer.token)))));
    customers.push(...after);

    expect(answers.map((answer) => answer.status)).toEqual(customers.map(() => 201));
    const drawnJoins = customers.filter((_, k) => answers[k]?.body.status === 'pre_queue');
    const lineJoins = customers.filter((_, k) => answers[k]?.body.status === 'waiting');
    expect(drawnJoins.length + lineJoins.length).toBe(customers.length);
    expect(drawnJoins.length).toBeGreaterThan(0);
    const rows = await placesOf(eventId);
    const placeOf = (customer: Customer) => rows.find((row) => row.account_id === customer.id)?.place;
    expect(rows).toHaveLength(customers.length);
    // Every place 1..n once: none twice, none skipped, none left without a number.
    expect(rows.map((row) => row.place).sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual(customers.map((_, k) => k + 1));
    // Everyone told "pre_queue" was drawn, i.e. holds one of the first places; the others come after
    // them, with the place they were told.
    expect(drawnJoins.map(placeOf).sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual(drawnJoins.map((_, k) => k + 1));
    for (const [k, customer] of customers.entries()) {
      if (answers[k]?.body.status === 'waiting') expect(answers[k]?.body.place).toBe(placeOf(customer));
    }
    expect(lineJoins.every((customer) => (placeOf(customer) ?? 0) > drawnJoins.length)).toBe(true);
  });

  it('the draw waits for the opening’s rush: joins still pouring in after the opening go into it, those sent before the opening drawn at random, the later ones behind them in arrival order', async () => {
    const opensInMs = 3_000;
    const early: Customer[] = [];
    const rush: Customer[] = [];
    for (let k = 0; k < 6; k++) early.push(await stack.http.user());
    for (let k = 0; k < 24; k++) rush.push(await stack.http.user());
    const eventId = await queuedEvent({ opensInMs });
    const opensAt = Date.now() + opensInMs - 100;
    for (const customer of early) expect((await join(eventId, customer.token)).status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, opensAt - 150 - Date.now())));
    // Two joins every 60 ms, from just before the opening to well after it: a rush, for the draw.
    const rushAnswers: QueuePlace[] = [];
    for (let k = 0; k < rush.length; k += 2) {
      const pair = await Promise.all(rush.slice(k, k + 2).map((customer) => join(eventId, customer.token)));
      for (const answer of pair) expect(answer.status).toBe(201);
      rushAnswers.push(...pair.map((answer) => answer.body));
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    // Still drawing while they came: every one of them is in the pre-queue, none has a place yet.
    expect(rushAnswers.map((answer) => answer.status)).toEqual(rush.map(() => 'pre_queue'));
    await waitFor('the opening', async () => ((await queueStateOf(eventId))?.state === 'open' ? true : undefined));

    const rows = await stack.owner.sql<{ account_id: string; place: number; draw_key: string; before_opening: boolean; drawn_after: boolean }[]>`
      SELECT p.account_id::text, p.place, p.draw_key::text, p.joined_at < e.queue_opens_at AS before_opening, q.opened_at > p.joined_at AS drawn_after
      FROM waitroom.places p JOIN catalog.events e ON e.id = p.event_id JOIN waitroom.queues q ON q.event_id = p.event_id
      WHERE p.event_id = ${eventId} ORDER BY p.joined_at, p.account_id`;
    expect(rows).toHaveLength(early.length + rush.length);
    expect(rows.every((row) => row.drawn_after)).toBe(true);
    const before = rows.filter((row) => row.before_opening);
    const after = rows.filter((row) => !row.before_opening);
    expect(after.length).toBeGreaterThan(4);
    // Those who joined before the opening hold the first places, in the order of their draw keys ...
    const byKey = [...before].sort((x, y) => (BigInt(x.draw_key) < BigInt(y.draw_key) ? -1 : 1));
    expect(byKey.map((row) => row.place)).toEqual(before.map((_, k) => k + 1));
    // ... and those of the rush after it follow, in the order they arrived.
    expect(after.map((row) => row.place)).toEqual(after.map((_, k) => before.length + k + 1));
  });

  it('an open queue with nobody waiting sleeps (no tick, its history stands still) until someone joins, who is then admitted', async () => {
    const eventId = await queuedEvent({ opensInMs: 1_500 });
    const handle = stack.temporal.workflow.getHandle(waitingRoomWorkflowId(eventId));
    await waitFor('the opening', async () => ((await queueStateOf(eventId))?.state === 'open' ? true : undefined));
    const asleep = await waitFor('the on-sale asleep', async () => {
      const progress = await handle.query(waitingRoomProgressQuery);
      return progress.phase === 'admitting' && progress.sleeping ? progress : undefined;
    });
    const before = await handle.describe();
    // Ten tick lengths (200 ms each) later: not one tick more, not one history event more.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const still = await handle.describe();
    expect(still.runId).toBe(before.runId);
    expect(still.historyLength).toBe(before.historyLength);
    expect((await handle.query(waitingRoomProgressQuery)).ticks).toBe(asleep.ticks);

    const customer = await stack.http.user();
    expect((await join(eventId, customer.token)).body).toMatchObject({ status: 'waiting', place: 1 });
    // The join woke it (its next planned wake-up is a minute away): admitted in a tick or two.
    await waitForStatus(eventId, customer.token, 'admitted');
    expect((await handle.query(waitingRoomProgressQuery)).ticks).toBeGreaterThan(asleep.ticks);
  });

  it('a waiting buyer sees their position and an estimate that shrink as places ahead are admitted', async () => {
    const eventId = await queuedEvent({ opensInMs: 3_000, admitPerMinute: 30 });
    const customers: Customer[] = [];
    for (let i = 0; i < 4; i++) customers.push(await stack.http.user());
    for (const customer of customers) await join(eventId, customer.token);
    await waitFor('the opening', async () => ((await queueStateOf(eventId))?.state === 'open' ? true : undefined));
    const last = await pollUntil(
      async () => {
        for (const customer of customers) {
          const answer = (await me(eventId, customer.token)).body;
          if (answer.place === 4 && answer.status === 'waiting') return { customer, answer };
        }
        return undefined;
      },
      { timeoutMs: 5_000, intervalMs: 100, what: 'place 4 waiting' },
    );
    const through = (await queueStateOf(eventId))?.admitted_through ?? 0;
    expect(last.answer.position).toBeLessThanOrEqual(4 - through);
    expect(last.answer.position).toBeGreaterThanOrEqual(1);
    expect(last.answer.estimatedWaitSeconds).toBe(Math.ceil(((last.answer.position ?? 0) * 60) / 30));
    const later = await waitFor('place 4 one step closer', async () => {
      const answer = (await me(eventId, last.customer.token)).body;
      return answer.status === 'admitted' || (answer.position ?? 99) < (last.answer.position ?? 0) ? answer : undefined;
    });
    expect(later.status === 'admitted' || (later.estimatedWaitSeconds ?? 0) < (last.answer.estimatedWaitSeconds ?? 0)).toBe(true);
  });
});

describe('booking with an admission', () => {
  it('without a token, with another account’s, or with an expired one the booking is refused and changes nothing; with its own it books and the turn is used', async () => {
    const eventId = await queuedEvent({ opensInMs: 2_000, admitPerMinute: 6_000 });
    const [a, b] = [await stack.http.user(), await stack.http.user()];
    await join(eventId, a.token);
    await join(eventId, b.token);
    const admittedA = await waitForStatus(eventId, a.token, 'admitted');
    const admittedB = await waitForStatus(eventId, b.token, 'admitted');
    expect(admittedA.admissionToken).toEqual(expect.any(String));
    expect(Date.parse(admittedA.admissionExpiresAt ?? '')).toBeGreaterThan(Date.now());

    const book = (token: string, admission?: string) =>
      stack.http.post('/api/reservations', { eventId, seats: ['A-1'], paymentToken: 'tok_visa' }, token, admission === undefined ? undefined : { 'admission-token': admission });
    const without = await book(a.token);
    expect(without.status).toBe(403);
    expect(without.body.error).toBe('admission_required');
    const foreign = await book(a.token, admittedB.admissionToken);
    expect(foreign.status).toBe(403);
    expect(foreign.body.error).toBe('admission_required');
    const bearer = await book(a.token, a.token);
    expect(bearer.body.error).toBe('admission_required');
    const stale = await new Tokens(stack.cfg.JWT_SECRET, 60).admission.issue({ accountId: a.id, eventId, place: admittedA.place ?? 0, expiresAt: new Date(Date.now() - 1_000) });
    const expired = await book(a.token, stale);
    expect(expired.status).toBe(410);
    expect(expired.body.error).toBe('admission_expired');
    expect(await reservationsOf(a.id)).toHaveLength(0);
    expect((await me(eventId, a.token)).body.status).toBe('admitted');

    const booked = await book(a.token, admittedA.admissionToken);
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    expect(booked.body.status).toBe('confirmed');
    const after = (await me(eventId, a.token)).body;
    expect(after.status).toBe('booked');
    expect(after.admissionToken).toBeUndefined();
    const [row] = await stack.owner.sql<{ booking_ms: number | null }[]>`SELECT booking_ms FROM waitroom.places WHERE event_id = ${eventId} AND account_id = ${a.id}`;
    expect(row?.booking_ms).toBeGreaterThan(0);
    // The organizer sees it.
    const view = await stack.http.get(`/api/events/${eventId}/queue`, organizer.token);
    expect(view.status).toBe(200);
    expect(queueOverview.parse(view.body)).toMatchObject({ eventId, state: 'open', admitPerMinute: 6_000, booked: 1, admitted: 1, waiting: 0, admittedThrough: 2, total: 2 });
    expect((await stack.http.get(`/api/events/${eventId}/queue`, a.token)).status).toBe(403);
    // Prometheus: the event's queue has one admitted buyer still to book, nobody waiting.
    const scraped = await stack.http.get<string>('/metrics');
    expect(scraped.body).toContain(`boxoffice_queue_admitted{event_id="${eventId}"} 1`);
    expect(scraped.body).toContain(`boxoffice_queue_waiting{event_id="${eventId}"} 0`);
    expect(scraped.body).toContain(`boxoffice_queue_admit_per_minute{event_id="${eventId}"} 6000`);
  });

  it('an admitted buyer who does not book within the window loses the turn, and the next one is admitted', async () => {
    // Adaptive rate with the window pinned at one: the second buyer waits for the first's turn to end.
    const eventId = await queuedEvent({ opensInMs: 2_000 });
    const [a, b] = [await stack.http.user(), await stack.http.user()];
    await join(eventId, a.token);
    await join(eventId, b.token);
    const first = await waitFor('someone admitted', async () => {
      for (const customer of [a, b]) {
        const answer = (await me(eventId, customer.token)).body;
        if (answer.status === 'admitted') return { customer, answer };
      }
      return undefined;
    });
    const second = first.customer === a ? b : a;
    // Shown an estimate before any booking was measured: one slot of the window at the latency
    // target (700 ms, rounded up to four 200 ms ticks) is 75 a minute, so position 1 waits a second.
    expect((await me(eventId, second.token)).body).toMatchObject({ status: 'waiting', position: 1, estimatedWaitSeconds: 1 });
    const next = await waitForStatus(eventId, second.token, 'admitted');
    expect(Date.parse(next.admissionExpiresAt ?? '') - Date.parse(first.answer.admissionExpiresAt ?? '')).toBeGreaterThanOrEqual(WINDOW_SECONDS * 1000 - 500);
    expect((await me(eventId, first.customer.token)).body.status).toBe('expired');
    const late = await stack.http.post('/api/reservations', { eventId, seats: ['A-1'], paymentToken: 'tok_visa' }, first.customer.token, { 'admission-token': first.answer.admissionToken ?? '' });
    expect(late.status).toBe(410);
    expect(late.body.error).toBe('admission_expired');
    expect(await reservationsOf(first.customer.id)).toHaveLength(0);
  });

  it('when the event sells out, everyone still waiting is told at once', async () => {
    const eventId = await queuedEvent({ opensInMs: 2_000, seating: { type: 'general', capacity: 2 } });
    const customers = [await stack.http.user(), await stack.http.user(), await stack.http.user()];
    for (const customer of customers) await join(eventId, customer.token);
    const first = await waitFor('someone admitted', async () => {
      for (const customer of customers) {
        const answer = (await me(eventId, customer.token)).body;
        if (answer.status === 'admitted') return { customer, answer };
      }
      return undefined;
    });
    const booked = await stack.http.post('/api/reservations', { eventId, quantity: 2, paymentToken: 'tok_visa' }, first.customer.token, { 'admission-token': first.answer.admissionToken ?? '' });
    expect(booked.status).toBe(201);
    await waitFor('sold out', async () => ((await queueStateOf(eventId))?.state === 'sold_out' ? true : undefined));
    const others = customers.filter((customer) => customer !== first.customer);
    for (const customer of others) expect((await me(eventId, customer.token)).body.status).toBe('sold_out');
    expect((await stack.http.post(`/api/events/${eventId}/queue`, {}, (await stack.http.user()).token)).body).toMatchObject({ error: 'sold_out' });
    const end = (await stack.temporal.workflow.getHandle(waitingRoomWorkflowId(eventId)).result()) as WaitingRoomEnd;
    expect(end).toEqual({ ended: 'sold_out' });
  });
});

describe('live', () => {
  it('sockets hear one broadcast per change; a user’s own admission, with its token, reaches only that user’s sockets; the sell-out reaches everyone waiting', async () => {
    const eventId = await queuedEvent({ opensInMs: 2_500, seating: { type: 'general', capacity: 1 } });
    const customers = [await stack.http.user(), await stack.http.user(), await stack.http.user()];
    for (const customer of customers) await join(eventId, customer.token);
    const sockets = await Promise.all(customers.map((customer) => LiveClient.connect(stack.wsUrl, { token: customer.token })));
    const anonymous = await LiveClient.connect(stack.wsUrl);
    try {
      for (const socket of [...sockets, anonymous]) socket.send({ type: 'subscribe_queue', eventId });
      // On subscribe: the queue as it is, and (with a token) one's own place.
      for (const socket of sockets) {
        await socket.next((message) => message.type === 'queue' && message.eventId === eventId);
        expect(await socket.next((message) => message.type === 'queue_place')).toMatchObject({ eventId, status: 'pre_queue' });
      }
      await anonymous.next((message) => message.type === 'queue');
      const isAdmission = (message: LiveMessage) => message.type === 'queue_place' && message.status === 'admitted';
      const admittedSocket = await Promise.any(sockets.map((socket) => socket.next(isAdmission, 15_000).then((message) => ({ socket, message }))));
      const admission = admittedSocket.message as LiveMessage & { admissionToken?: string };
      expect(admission.admissionToken).toEqual(expect.any(String));
      const holder = customers[sockets.indexOf(admittedSocket.socket)];
      if (!holder) throw new Error('no holder');
      // Nobody else got a token.
      for (const socket of [...sockets, anonymous]) {
        if (socket === admittedSocket.socket) continue;
        expect(socket.messages.filter((message) => 'admissionToken' in message)).toEqual([]);
      }
      // Every socket saw the same broadcast of the admission, versions only growing.
      for (const socket of [...sockets, anonymous]) {
        const broadcasts = await pollUntil(async () => {
          const seen = socket.messages.filter((message) => message.type === 'queue') as (LiveMessage & { admittedThrough: number; version: number })[];
          return seen.some((message) => message.admittedThrough >= 1) ? seen : undefined;
        }, { timeoutMs: 5_000, intervalMs: 50, what: 'the admission broadcast' });
        const versions = broadcasts.map((message) => message.version);
        expect([...versions].sort((x, y) => x - y)).toEqual(versions);
      }
      const booked = await stack.http.post('/api/reservations', { eventId, quantity: 1, paymentToken: 'tok_visa' }, holder.token, { 'admission-token': admission.admissionToken ?? '' });
      expect(booked.status).toBe(201);
      const soldOut = (message: LiveMessage) => message.type === 'queue' && (message as LiveMessage & { state?: string }).state === 'sold_out';
      await Promise.all([...sockets, anonymous].map((socket) => socket.next(soldOut, 15_000)));
    } finally {
      await Promise.all([...sockets, anonymous].map((socket) => socket.close().catch(() => 0)));
    }
  });

  it('a socket that subscribed before its user joined hears of the place and, later, of the admission', async () => {
    const eventId = await queuedEvent({ opensInMs: 2_500, admitPerMinute: 600 });
    const customer = await stack.http.user();
    const socket = await LiveClient.connect(stack.wsUrl, { token: customer.token });
    try {
      socket.send({ type: 'subscribe_queue', eventId });
      await socket.next((message) => message.type === 'queue');
      expect((await join(eventId, customer.token)).status).toBe(201);
      const admitted = await socket.next((message) => message.type === 'queue_place' && message.status === 'admitted', 15_000);
      expect(admitted).toMatchObject({ eventId, place: 1 });
      expect((admitted as LiveMessage & { admissionToken?: string }).admissionToken).toBe((await me(eventId, customer.token)).body.admissionToken);
    } finally {
      await socket.close();
    }
  });

  it('a queue subscription for an event without a queue is refused, and unsubscribing is answered', async () => {
    const plain = await stack.http.event(organizer.token);
    const socket = await LiveClient.connect(stack.wsUrl);
    try {
      socket.send({ type: 'subscribe_queue', eventId: plain });
      expect(await socket.next((message) => message.type === 'error')).toMatchObject({ error: 'event_not_found', eventId: plain });
      socket.send({ type: 'unsubscribe_queue', eventId: plain });
      expect(await socket.next((message) => message.type === 'unsubscribed')).toMatchObject({ eventId: plain, feed: 'queue' });
    } finally {
      await socket.close();
    }
  });
});

describe('settings', () => {
  it('a queue must open in the future and before the event starts; after its opening it can neither move nor go, but its rate can change', async () => {
    const startsAt = new Date(Date.now() + 86_400_000).toISOString();
    const body = (opensAt: string) => ({ name: 'x', venue: 'y', startsAt, priceCents: 1, seating: { type: 'general', capacity: 5 }, queue: { opensAt } });
    expect((await stack.http.post('/api/events', body(new Date(Date.now() - 1000).toISOString()), organizer.token)).status).toBe(400);
    expect((await stack.http.post('/api/events', body(new Date(Date.now() + 2 * 86_400_000).toISOString()), organizer.token)).status).toBe(400);
    expect((await stack.http.post('/api/events', { ...body(new Date(Date.now() + 60_000).toISOString()), queue: { opensAt: new Date(Date.now() + 60_000).toISOString(), admitPerMinute: 0 } }, organizer.token)).status).toBe(400);

    const eventId = await queuedEvent({ opensInMs: 1_500, admitPerMinute: 60 });
    const patch = (change: Record<string, unknown>) => stack.http.request('PATCH', `/api/events/${eventId}`, { token: organizer.token, body: change });
    expect((await patch({ startsAt: new Date(Date.now() + 1_000).toISOString() })).status).toBe(400);
    await waitFor('the opening', async () => ((await queueStateOf(eventId))?.state === 'open' ? true : undefined));
    const event = (await stack.http.get<{ queue: { opensAt: string } }>(`/api/events/${eventId}`)).body;
    const moved = await patch({ queue: { opensAt: new Date(Date.now() + 60_000).toISOString() } });
    expect(moved.status).toBe(409);
    expect(moved.body.error).toBe('queue_already_open');
    expect((await patch({ queue: null })).body.error).toBe('queue_already_open');
    const faster = await patch({ queue: { opensAt: event.queue.opensAt, admitPerMinute: 120 } });
    expect(faster.status).toBe(200);
    expect(faster.body.queue).toMatchObject({ opensAt: event.queue.opensAt, admitPerMinute: 120 });
  });

  it('removing a queue before its opening closes it for everyone in it, and bookings need no admission any more', async () => {
    const eventId = await queuedEvent({ opensInMs: 3_600_000 });
    const customer = await stack.http.user();
    await join(eventId, customer.token);
    const removed = await stack.http.request('PATCH', `/api/events/${eventId}`, { token: organizer.token, body: { queue: null } });
    expect(removed.status).toBe(200);
    expect(removed.body.queue).toBeNull();
    expect((await placesOf(eventId))[0]?.status).toBe('closed');
    const end = (await stack.temporal.workflow.getHandle(waitingRoomWorkflowId(eventId)).result()) as WaitingRoomEnd;
    expect(end).toEqual({ ended: 'closed' });
    const booked = await stack.http.post('/api/reservations', { eventId, seats: ['A-1'], paymentToken: 'tok_visa' }, customer.token);
    expect(booked.status).toBe(201);
  });
});

describe('the adaptive window', () => {
  it('grows past admitted buyers who stopped booking (refused, or choosing): the line moves on before their admissions lapse', async () => {
    // An on-sale 20 s old: 5 admitted 15 s ago, none of whom booked (the seats left did not fit
    // their parties), 3 waiting behind them, and a window of 5.
    const eventId = await queuedEvent({ opensInMs: 3_600_000 });
    const admitted = Array.from({ length: 5 }, (_, k) => ({ event_id: eventId, account_id: randomUUID(), place: k + 1, draw_key: k, status: 'admitted' }));
    const waiting = Array.from({ length: 3 }, (_, k) => ({ event_id: eventId, account_id: randomUUID(), place: k + 6, draw_key: k + 6, status: 'waiting' }));
    const sql = stack.owner.sql;
    await sql`INSERT INTO waitroom.places ${sql([...admitted, ...waiting], 'event_id', 'account_id', 'place', 'draw_key', 'status')}`;
    await sql`UPDATE waitroom.places SET admitted_at = now() - interval '15 seconds', expires_at = now() + interval '5 minutes' WHERE event_id = ${eventId} AND status = 'admitted'`;
    await sql`UPDATE waitroom.queues SET state = 'open', total = 8, admitted_through = 5, opened_at = now() - interval '20 seconds' WHERE event_id = ${eventId}`;
    const { admissionTick } = createWaitingRoomActivities(sql, { admissionWindowSeconds: 300, limits: { min: 5, max: 100, targetLatencyMs: 700 }, tickMs: 200, drawGraceMs: 0 });

    const tick = await admissionTick({ eventId, elapsedMs: 200, carry: 0, window: 5, windowShrankAt: null });
    expect(tick).toMatchObject({ state: 'open', window: 6, admitted: 1 });
    expect((await placesOf(eventId)).filter((place) => place.status === 'admitted').map((place) => place.place).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('durability', () => {
  it('a second API process serves the same queue, and the on-sale carries on in order after its worker is stopped and started again', async () => {
    // Its own task queue and worker (started and stopped here), the same databases.
    const other = await startStack({
      withoutWorker: true,
      withoutProjection: true,
      env: { QUEUE_TICK_MS: '200', QUEUE_ADMISSION_WINDOW_SECONDS: '60', QUEUE_JOIN_LEAD_SECONDS: '3600' },
    });
    try {
      let worker = await other.startWorker();
      const eventId = await queuedEvent({ opensInMs: 2_000, admitPerMinute: 60, on: other });
      const customers: Customer[] = [];
      for (let i = 0; i < 5; i++) customers.push(await stack.http.user());
      for (const customer of customers) await join(eventId, customer.token, i(customers, customer) % 2 === 0 ? stack : other);
      // Both processes give the same place; the estimate is computed at each answer (it counts down
      // to the opening), and the opening may fall between the two reads, so a pair is read again until it agrees.
      const placeOf = async (customer: Customer, api: typeof stack) => {
        const { estimatedWaitSeconds: _moving, ...place } = (await me(eventId, customer.token, api)).body;
        return place;
      };
      for (const customer of customers) {
        await expect.poll(async () => JSON.stringify(await placeOf(customer, stack)) === JSON.stringify(await placeOf(customer, other)), { timeout: 10_000 }).toBe(true);
      }
      await waitFor('the first admission', async () => (((await queueStateOf(eventId))?.admitted_through ?? 0) >= 1 ? true : undefined));
      await worker.stop();
      const stoppedAt = (await queueStateOf(eventId))?.admitted_through ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      // Nobody is admitted while no worker runs the on-sale.
      expect((await queueStateOf(eventId))?.admitted_through).toBe(stoppedAt);
      worker = await other.startWorker();
      await waitFor('every place admitted', async () => ((await queueStateOf(eventId))?.admitted_through === 5 ? true : undefined));
      const rows = (await placesOf(eventId)).sort((x, y) => (x.place ?? 0) - (y.place ?? 0));
      const times = rows.map((row) => Date.parse(row.admitted_at ?? ''));
      for (let k = 1; k < times.length; k++) expect(times[k]).toBeGreaterThanOrEqual(times[k - 1] ?? 0);
      await worker.stop();
    } finally {
      await other.stop();
    }
  });
});

const i = <T>(list: T[], item: T): number => list.indexOf(item);
