import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAbuseFixtures, type AbuseFixtures } from './support/abuse-fixtures.js';
import { snapshotDatabases, snapshotDifferences, type DatabaseSnapshot } from './support/db-snapshot.js';
import { HEADERS_TOO_LARGE, forgedTokens, hostileRequests, routeKey, unknownPaths, type HostileRequest } from './support/hostile-requests.js';
import { hostileFrames, hostileSocketTokens, outcomeLabel, playFrame } from './support/hostile-frames.js';
import { startIsolatedStack } from './support/isolated-stack.js';
import { accessMatrix } from './support/access-matrix.js';
import { LiveClient } from './support/live-client.js';
import { rawRequests, sendRaw } from './support/raw-http.js';
import type { Stack } from './support/stack.js';

/**
 * The generated hostile-input suite: over a thousand requests across every route and the
 * WebSocket, each refused with a 4xx `{ error, message }` (never a 5xx, never a hang; a socket
 * gets an error message or a close with a policy code), and Postgres unchanged: every table of
 * every schema in every database counted and checksummed before and after.
 *
 * Reproduce a failure with the seed it prints: HOSTILE_SEED=<seed> npx vitest run test/hostile-input.test.ts
 */
const seed = Number(process.env.HOSTILE_SEED ?? 1_302_026);
const runsPerRoute = Number(process.env.HOSTILE_RUNS ?? 48);
const requestTimeoutMs = 10_000;

let stack: Stack;
let fixtures: AbuseFixtures;
let forged: string[];
/** Before anything hostile was sent; `before` is the start of each property. */
let initial: DatabaseSnapshot;
let before: DatabaseSnapshot;
const sent = { http: 0, frames: 0 };

beforeAll(async () => {
  console.info(`hostile-input suite: fast-check seed ${seed} (HOSTILE_SEED=${seed} reproduces this run)`);
  stack = await startIsolatedStack('hostile');
  fixtures = await createAbuseFixtures(stack);
  forged = await forgedTokens(stack.cfg.JWT_SECRET, fixtures);
  initial = await snapshotDatabases(stack.stores);
  before = initial;
});
afterAll(() => stack?.stop());

interface Answer {
  status: number;
  body: unknown;
}

async function send(request: HostileRequest): Promise<Answer> {
  sent.http += 1;
  const response = await fetch(stack.baseUrl + request.path, {
    method: request.method,
    headers: request.headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
    signal: AbortSignal.timeout(requestTimeoutMs),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the assertion below says so
  }
  return { status: response.status, body };
}

function describeRequest(request: HostileRequest): string {
  return `${request.fault}: ${request.method} ${request.path.slice(0, 120)}`;
}

async function refused(request: HostileRequest): Promise<void> {
  const answer = await send(request);
  const what = `${describeRequest(request)} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`;
  expect(request.expect, what).toContain(answer.status);
  if (answer.status === HEADERS_TOO_LARGE) return;
  expect(answer.body, what).toMatchObject({ error: expect.any(String), message: expect.any(String) });
}

async function expectUnchanged(): Promise<void> {
  expect(snapshotDifferences(before, await snapshotDatabases(stack.stores))).toEqual([]);
}

describe('hostile HTTP requests', () => {
  it('has a generator for every route the router serves', () => {
    for (const route of stack.routes) expect(() => hostileRequests(route, stack.routes, fixtures, forged, stack.cfg.MAX_BODY_BYTES), routeKey(route)).not.toThrow();
  });

  // One property per route, its state checked after it, so a change names its route. The list is
  // the access matrix's (known before the stack starts); test/access-matrix.test.ts holds it to the router.
  const routeKeys = accessMatrix.map((row) => row.route);

  it('covers every route the router serves', () => {
    expect([...routeKeys].sort()).toEqual(stack.routes.map(routeKey).sort());
  });

  it.each(routeKeys.map((key, index) => ({ key, index })))('$key: every hostile request is a 4xx and changes nothing', async ({ key, index }) => {
    // Whatever an earlier failure set off has settled: this property's changes are its own.
    await stack.projectionCaughtUp();
    before = await snapshotDatabases(stack.stores);
    const route = stack.routes.find((candidate) => routeKey(candidate) === key);
    if (!route) throw new Error(`the router has no ${key}`);
    await fc.assert(
      fc.asyncProperty(hostileRequests(route, stack.routes, fixtures, forged, stack.cfg.MAX_BODY_BYTES), refused),
      { seed: seed + index, numRuns: runsPerRoute, endOnFailure: true },
    );
    await expectUnchanged();
  });

  it('the same, sixteen at a time across every route: no 5xx from contention (pools, hash queue, Temporal calls)', async () => {
    await stack.projectionCaughtUp();
    before = await snapshotDatabases(stack.stores);
    const everyRoute = fc.oneof(...stack.routes.map((route) => hostileRequests(route, stack.routes, fixtures, forged, stack.cfg.MAX_BODY_BYTES)));
    const requests = fc.sample(everyRoute, { seed: seed + 300, numRuns: runsPerRoute * 8 });
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < requests.length) {
          const request = requests[next++];
          if (request) await refused(request);
        }
      }),
    );
    await expectUnchanged();
  });

  it('unknown paths are 404 not_found and change nothing', async () => {
    await fc.assert(fc.asyncProperty(unknownPaths, refused), { seed: seed + 100, numRuns: runsPerRoute, endOnFailure: true });
    await expectUnchanged();
  });
});

describe('hostile bytes on the wire', () => {
  it('path traversal, broken framing, smuggling, lying lengths and gzip bombs are 4xx and change nothing', async () => {
    await stack.projectionCaughtUp();
    before = await snapshotDatabases(stack.stores);
    const port = Number(new URL(stack.baseUrl).port);
    for (const raw of rawRequests(forged[0] ?? 'x', stack.cfg.MAX_BODY_BYTES)) {
      sent.http += 1;
      const answer = await sendRaw(port, raw.bytes);
      const what = `${raw.what} → ${answer.status ?? 'no answer'} ${answer.body.slice(0, 200)}`;
      expect(answer.settled, what).toBe(true);
      expect(answer.status, what).toBeGreaterThanOrEqual(400);
      expect(answer.status, what).toBeLessThan(500);
      if (raw.answeredByApp) expect(JSON.parse(answer.body), what).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    }
    await expectUnchanged();
  });
});

/** What the generated suite found, as fixed rows (each failed before its fix; the answer it got then is named). */
describe('findings of the suite', () => {
  const rows: { what: string; request: () => HostileRequest }[] = [
    { what: 'U+0000 in a name (was 500: Postgres refuses it)', request: () => jsonRequest('POST', '/api/auth/register', undefined, { email: 'nul@example.test', password: 'long enough', name: 'a\u0000b' }) },
    { what: 'a control character in a name (was 201, stored)', request: () => jsonRequest('POST', '/api/auth/register', undefined, { email: 'bell@example.test', password: 'long enough', name: 'Bad\u0007Bell' }) },
    { what: 'an ANSI escape in a venue (was 201, stored)', request: () => jsonRequest('POST', '/api/events', fixtures.organizer.token, { name: 'Show', venue: '\u001b[31mHall', startsAt: new Date(Date.now() + 86_400_000).toISOString(), priceCents: 100, seating: { type: 'general', capacity: 5 } }) },
    { what: 'U+007F in an event name (was 200, stored)', request: () => jsonRequest('PATCH', `/api/events/${fixtures.event.id}`, fixtures.organizer.token, { name: 'Re\u007fnamed' }) },
    { what: 'a lone surrogate in a description (was 200, stored as U+FFFD)', request: () => jsonRequest('PATCH', `/api/events/${fixtures.event.id}`, fixtures.organizer.token, { description: 'half a \ud83c' }) },
    { what: 'a control character in a payment token (was 402: the hold failed)', request: () => jsonRequest('POST', `/api/reservations/${fixtures.held.id}/pay`, fixtures.customer.token, { paymentToken: 'tok_visa\u0000' }) },
  ];
  it.each(rows)('$what: 400, nothing changes', async ({ request }) => {
    await stack.projectionCaughtUp();
    before = await snapshotDatabases(stack.stores);
    const answer = await send(request());
    expect(answer.status, JSON.stringify(answer.body)).toBe(400);
    expect(answer.body).toMatchObject({ error: 'validation_failed', message: expect.any(String) });
    await expectUnchanged();
  });
});

function jsonRequest(method: string, path: string, token: string | undefined, body: unknown): HostileRequest {
  return { fault: 'finding', method, path, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body), expect: [400] };
}

describe('hostile WebSocket frames and handshakes', () => {
  it('forged tokens on the handshake get an unauthorized close (4401)', async () => {
    for (const token of hostileSocketTokens(forged)) {
      sent.frames += 1;
      const client = await LiveClient.connect(stack.wsUrl, { token });
      expect(await client.closed, `token ${token.slice(0, 40)}`).toBe(4401);
    }
    await expectUnchanged();
  });

  it('every hostile frame is answered with an error, or closes the socket with a policy code', async () => {
    const tokens = [undefined, fixtures.customer.token, fixtures.otherCustomer.token, fixtures.admin.token];
    let client: LiveClient | undefined;
    const outcomes: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(hostileFrames(fixtures), fc.nat(tokens.length - 1), async (frame, who) => {
        if (!client || client.closeCode !== undefined) client = await LiveClient.connect(stack.wsUrl, { ...(tokens[who] ? { token: tokens[who] } : {}) });
        sent.frames += 1;
        const outcome = outcomeLabel(await playFrame(client, frame));
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        expect(frame.expect, `${frame.what} → ${outcome}`).toContain(outcome);
      }),
      { seed: seed + 200, numRuns: runsPerRoute * 5, endOnFailure: true },
    );
    await client?.close();
    console.info(`hostile-input suite: WebSocket outcomes ${JSON.stringify(outcomes)}`);
    await expectUnchanged();
  });
});

describe('after the onslaught', () => {
  it('the process is healthy: it answers reads, books nothing it was not asked to, and serves the live feed', async () => {
    expect((await stack.http.get('/healthz')).status).toBe(200);
    expect((await stack.http.get('/readyz')).status).toBe(200);
    expect((await stack.http.get(`/api/events/${fixtures.event.id}`)).status).toBe(200);
    const held = await stack.http.get<{ status: string }>(`/api/reservations/${fixtures.held.id}`, fixtures.customer.token);
    expect(held.body.status).toBe('held');
    const client = await LiveClient.connect(stack.wsUrl);
    client.subscribe(fixtures.event.id);
    const snapshot = await client.next((message) => message.type === 'snapshot');
    expect(snapshot.seats).toHaveLength(60);
    await client.close();
    expect(snapshotDifferences(initial, await snapshotDatabases(stack.stores))).toEqual([]);
    expect(await stack.invariants()).toEqual([]);
  });

  // Last, since it books: the snapshot checks are behind us.
  it('a socket hears of its own user’s reservations only, whoever else subscribes to the event', async () => {
    const [own, other, anonymous] = await Promise.all([
      LiveClient.connect(stack.wsUrl, { token: fixtures.customer.token }),
      LiveClient.connect(stack.wsUrl, { token: fixtures.otherCustomer.token }),
      LiveClient.connect(stack.wsUrl),
    ]);
    const sockets = [own, other, anonymous];
    for (const socket of sockets) socket.subscribe(fixtures.event.id);
    await Promise.all(sockets.map((socket) => socket.next((message) => message.type === 'snapshot')));
    const id = await fixtures.freshHold();
    await own.next((message) => message.type === 'reservation' && message.id === id);
    // Every socket has seen the seat taken: had the others been told of the reservation, they would be by now.
    await Promise.all(sockets.map((socket) => socket.next((message) => message.type === 'seats' && (message.changes ?? []).some((change) => change.status === 'held'))));
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const socket of [other, anonymous]) expect(socket.messages.filter((message) => message.type === 'reservation')).toEqual([]);
    await Promise.all(sockets.map((socket) => socket.close()));
  });

  it('sent at least 1,000 hostile requests and frames', () => {
    console.info(`hostile-input suite: ${sent.http} HTTP requests and ${sent.frames} WebSocket handshakes and frames, seed ${seed}`);
    expect(sent.http + sent.frames).toBeGreaterThanOrEqual(1_000);
  });
});
