import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tokens } from '../api/auth.js';
import { attachLiveFeed, type LiveFeed } from '../api/live-feed.js';
import { connectAs, type DatabaseHandle } from '../db/client.js';
import { serviceDatabaseUrl } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { bookedSeats, bookingBurst, countsOf, readModelVersion, sortedRecord, type BurstEvents } from './support/bookings.js';
import { LiveClient } from './support/live-client.js';
import { startStack, type Stack } from './support/stack.js';

let stack: Stack;
let organizer: { token: string; id: string };
const clients: LiveClient[] = [];
const processes: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  stack = await startStack({ env: { HOLD_TTL_MS: '600000' } });
  organizer = await stack.http.user('organizer');
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close().catch(() => 0)));
  await Promise.all(processes.map((process) => process.stop()));
  await stack?.stop();
});

async function connect(url = stack.wsUrl, options: Parameters<typeof LiveClient.connect>[1] = {}): Promise<LiveClient> {
  const client = await LiveClient.connect(url, options);
  clients.push(client);
  return client;
}

/**
 * Waits for the running projection to reach `version` for the event. (stack.projectionCaughtUp() can
 * return early while any older transaction in the cluster is open: the projection only reads
 * outbox rows older than every running transaction.)
 */
async function readModelReaches(eventId: string, version: number): Promise<void> {
  await expect.poll(() => readModelVersion(stack.owner.sql, eventId), { timeout: 15_000, interval: 50 }).toBeGreaterThanOrEqual(version);
}

/**
 * Another API process, as far as the live feed goes: its own HTTP server, its own api-role
 * connection and LISTEN, on the same database.
 */
async function secondApiProcess(settings: Partial<Stack['cfg']> = {}): Promise<{ wsUrl: string; feed: LiveFeed; applicationName: string; stop(): Promise<void> }> {
  // Named sessions, so a test can kill exactly this process's connections.
  const applicationName = `live-feed-test-${randomUUID().slice(0, 8)}`;
  const url = new URL(serviceDatabaseUrl('api', stack.cfg));
  url.searchParams.set('application_name', applicationName);
  const database: DatabaseHandle = connectAs('api', { url: url.toString(), max: 2 });
  const server: Server = createServer((_request, response) => response.writeHead(404).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const feed = await attachLiveFeed(server, {
    sql: database.sql,
    tokens: new Tokens(stack.cfg.JWT_SECRET, stack.cfg.JWT_TTL_SECONDS),
    logger: createLogger('second-api'),
    config: { ...stack.cfg, ...settings },
  });
  const handle = {
    wsUrl: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`,
    feed,
    applicationName,
    async stop() {
      await feed.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await database.close();
    },
  };
  processes.push(handle);
  return handle;
}

describe('live seat map under a burst of bookings', () => {
  it('snapshot plus deltas equal booking.seats after 200 concurrent bookings, on two API processes, with gap-free versions and a client reconnecting mid-burst', async () => {
    const events: BurstEvents = { reserved: [], general: [] };
    for (let i = 0; i < 3; i++) {
      const seating = { type: 'reserved' as const, rows: 5, seatsPerRow: 12 };
      events.reserved.push({ id: await stack.http.event(organizer.token, seating), rows: seating.rows, seatsPerRow: seating.seatsPerRow });
    }
    events.general.push({ id: await stack.http.event(organizer.token, { type: 'general', capacity: 120 }), capacity: 120 });
    const eventIds = [...events.reserved.map((event) => event.id), ...events.general.map((event) => event.id)];
    const customers = await Promise.all(Array.from({ length: 16 }, () => stack.http.user('customer')));

    const other = await secondApiProcess();
    const watchers = await Promise.all([connect(), connect(), connect(other.wsUrl), connect(other.wsUrl)]);
    for (const watcher of watchers) for (const eventId of eventIds) watcher.subscribe(eventId);
    await Promise.all(watchers.flatMap((watcher) => eventIds.map((eventId) => watcher.next((message) => message.type === 'snapshot' && message.eventId === eventId))));

    const burst = bookingBurst(stack.http, events, customers, 200);
    // Mid-burst, one client drops its connection and comes back on the other process.
    const first = watchers[0];
    if (!first) throw new Error('no watcher');
    await first.next((message) => message.type === 'seats' && (message.version ?? 0) >= 3, 30_000);
    await first.close();
    const reconnected = await connect(other.wsUrl);
    for (const eventId of eventIds) reconnected.subscribe(eventId);
    const outcome = await burst;
    expect(outcome.statuses[201] ?? 0).toBeGreaterThan(50);

    await expect.poll(() => stack.invariants({ eventIds, readModel: true }), { timeout: 20_000, interval: 200 }).toEqual([]);
    const survivors = [...watchers.slice(1), reconnected];
    for (const eventId of eventIds) {
      const version = await readModelVersion(stack.owner.sql, eventId);
      expect(version).toBeGreaterThan(0);
      const truth = await bookedSeats(stack.stores.booking.sql, eventId);
      const general = events.general.find((event) => event.id === eventId);
      for (const client of survivors) {
        const view = await client.reach(eventId, version);
        expect(view.version).toBe(version);
        if (general) expect(view.counts).toEqual(countsOf(truth, general.capacity));
        else expect(sortedRecord(view.seats)).toEqual(sortedRecord(truth));
      }
    }
    for (const client of [...watchers, reconnected]) expect(client.breaches).toEqual([]);
    // The clients that stayed saw every version from their snapshot on, one message each.
    for (const client of watchers.slice(1)) {
      for (const eventId of eventIds) {
        const versions = client.views.get(eventId)?.versions ?? [];
        const start = versions[0] ?? 0;
        expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => start + i));
      }
    }
    expect(await stack.invariants({ eventIds, readModel: true })).toEqual([]);
  }, 120_000);
});

describe('lost notifications', () => {
  it('a notification that skips versions (one went missing) makes the feed send a fresh snapshot from the read model', async () => {
    const eventId = await stack.http.event(organizer.token);
    const customer = await stack.http.user('customer');
    expect((await stack.http.post('/api/reservations', { eventId, seats: ['A-2'] }, customer.token)).status).toBe(201);
    await readModelReaches(eventId, 1);
    const client = await connect();
    client.subscribe(eventId);
    expect(await client.next((message) => message.type === 'snapshot')).toMatchObject({ version: 1, held: 1 });

    // What the feed sees when version 2 was lost: version 3 arrives. Its content is not in the read model.
    await stack.owner.sql`SELECT pg_notify('readmodel_seats', ${JSON.stringify({ eventId, version: 3, changes: [{ id: 'A-1', status: 'sold' }], held: 1, sold: 1 })})`;
    const fresh = await client.next((message) => message.type === 'snapshot', 5000, 1);
    expect(fresh).toMatchObject({ version: 1, held: 1, sold: 0 });
    expect(fresh.seats?.find((seat) => seat.id === 'A-1')?.status).toBe('available');
    expect(client.messages.filter((message) => message.type === 'seats')).toEqual([]);

    // Real changes flow again from there.
    expect((await stack.http.post('/api/reservations', { eventId, seats: ['A-3'] }, customer.token)).status).toBe(201);
    expect(await client.next((message) => message.type === 'seats')).toMatchObject({ version: 2, changes: [{ id: 'A-3', status: 'held' }] });
    expect(client.breaches).toEqual([]);
  });

  it('a feed that falls behind the read model with nothing more to come notices on its periodic check', async () => {
    const checking = await secondApiProcess({ LIVE_RESYNC_CHECK_MS: 100 });
    const eventId = await stack.http.event(organizer.token, { type: 'general', capacity: 30 });
    const customer = await stack.http.user('customer');
    expect((await stack.http.post('/api/reservations', { eventId, quantity: 2 }, customer.token)).status).toBe(201);
    await readModelReaches(eventId, 1);
    const client = await connect(checking.wsUrl);
    client.subscribe(eventId);
    expect(await client.next((message) => message.type === 'snapshot')).toMatchObject({ version: 1, held: 2 });

    // The read model moves on and its notification never comes (as when LISTEN was down).
    await stack.owner.sql`UPDATE readmodel.event_availability SET version = version + 1, held = held + 1 WHERE event_id = ${eventId}`;
    expect(await client.next((message) => message.type === 'snapshot', 5000, 1)).toMatchObject({ version: 2, held: 3, available: 27 });
    expect(checking.feed.stats().resyncs).toBe(1);
    // Put the read model back to the truth for the invariants of later tests.
    await stack.owner.sql`UPDATE readmodel.event_availability SET held = held - 1 WHERE event_id = ${eventId}`;
  });

  it('when the LISTEN connection is killed, the feed listens again and sends every subscriber a fresh snapshot', async () => {
    const relay = await secondApiProcess();
    const eventId = await stack.http.event(organizer.token);
    const client = await connect(relay.wsUrl);
    client.subscribe(eventId);
    await client.next((message) => message.type === 'snapshot');

    // Two statements: in one, Postgres may call pg_terminate_backend before filtering.
    const sessions = await stack.owner.sql<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE application_name = ${relay.applicationName} AND datname = current_database()`;
    expect(sessions.length).toBeGreaterThan(0);
    await stack.owner.sql`SELECT pg_terminate_backend(pid) FROM unnest(${sessions.map((session) => session.pid)}::int[]) AS pid`;
    expect(await client.next((message) => message.type === 'snapshot', 10_000, 1)).toMatchObject({ eventId, version: 0 });
    expect(relay.feed.stats().resyncs).toBeGreaterThan(0);

    // And it relays again.
    const customer = await stack.http.user('customer');
    expect((await stack.http.post('/api/reservations', { eventId, seats: ['C-3'] }, customer.token)).status).toBe(201);
    expect(await client.next((message) => message.type === 'seats')).toMatchObject({ version: 1, changes: [{ id: 'C-3', status: 'held' }] });
  });
});

describe('protocol', () => {
  it('a malformed message gets bad_message and the socket keeps working', async () => {
    const eventId = await stack.http.event(organizer.token);
    const client = await connect();
    for (const junk of ['not json', '{"type":"subscribe"}', '{"type":"dance","eventId":"x"}', '[1,2]', 'null']) {
      const from = client.messages.length;
      client.send(junk);
      expect(await client.next((message) => message.type === 'error', 5000, from)).toMatchObject({ type: 'error', error: 'bad_message' });
    }
    const from = client.messages.length;
    client.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await client.next((message) => message.type === 'error', 5000, from)).toMatchObject({ error: 'bad_message' });

    client.subscribe(eventId);
    const snapshot = await client.next((message) => message.type === 'snapshot');
    expect(snapshot).toMatchObject({ eventId, version: 0, available: 15, held: 0, sold: 0 });
    expect(snapshot.seats).toHaveLength(15);
    expect(snapshot.seats?.[0]).toEqual({ id: 'A-1', status: 'available' });
  });

  it('an unknown event gets event_not_found; unsubscribe stops the changes', async () => {
    const client = await connect();
    client.subscribe('00000000-0000-4000-8000-00000000dead');
    expect(await client.next((message) => message.type === 'error')).toMatchObject({ error: 'event_not_found', eventId: '00000000-0000-4000-8000-00000000dead' });
    client.subscribe('not-a-uuid');
    expect(await client.next((message) => message.type === 'error' && message.eventId === 'not-a-uuid')).toMatchObject({ error: 'event_not_found' });

    const eventId = await stack.http.event(organizer.token, { type: 'general', capacity: 50 });
    client.subscribe(eventId);
    expect(await client.next((message) => message.type === 'snapshot')).toMatchObject({ eventId, version: 0, capacity: 50, available: 50, held: 0, sold: 0 });
    const customer = await stack.http.user('customer');
    expect((await stack.http.post('/api/reservations', { eventId, quantity: 2 }, customer.token)).status).toBe(201);
    expect(await client.next((message) => message.type === 'availability')).toMatchObject({ eventId, version: 1, available: 48, held: 2, sold: 0 });

    client.send({ type: 'unsubscribe', eventId });
    await client.next((message) => message.type === 'unsubscribed');
    const from = client.messages.length;
    expect((await stack.http.post('/api/reservations', { eventId, quantity: 1 }, customer.token)).status).toBe(201);
    await readModelReaches(eventId, 2);
    const watcher = await connect();
    watcher.subscribe(eventId);
    expect(await watcher.next((message) => message.type === 'snapshot')).toMatchObject({ version: 2, held: 3 });
    // A change the watcher receives would have reached the first client too, had it stayed.
    expect((await stack.http.post('/api/reservations', { eventId, quantity: 1 }, customer.token)).status).toBe(201);
    expect(await watcher.next((message) => message.type === 'availability')).toMatchObject({ version: 3, held: 4 });
    expect(client.messages.slice(from)).toEqual([]);
  });
});

describe('reservations of the logged-in user', () => {
  it('an authenticated socket gets its own reservation updates and nobody else’s', async () => {
    const eventId = await stack.http.event(organizer.token);
    const [alice, bob] = await Promise.all([stack.http.user('customer'), stack.http.user('customer')]);
    const [aliceSocket, bobSocket, anonymous] = await Promise.all([connect(stack.wsUrl, { token: alice.token }), connect(stack.wsUrl, { token: bob.token }), connect()]);

    const alicesBooking = await stack.http.post<{ id: string }>('/api/reservations', { eventId, seats: ['A-1', 'A-2'], paymentToken: 'tok_visa' }, alice.token);
    expect(alicesBooking.status).toBe(201);
    const bobsHold = await stack.http.post<{ id: string }>('/api/reservations', { eventId, seats: ['B-1'] }, bob.token);
    expect(bobsHold.status).toBe(201);

    expect(await aliceSocket.next((message) => message.type === 'reservation' && message.status === 'confirmed')).toEqual({ type: 'reservation', id: alicesBooking.body.id, status: 'confirmed', eventId });
    expect(await bobSocket.next((message) => message.type === 'reservation' && message.status === 'held')).toEqual({ type: 'reservation', id: bobsHold.body.id, status: 'held', eventId });
    // Both were published in the same projection pass; give a stray message time to show up.
    await delay(300);
    expect(aliceSocket.messages.filter((message) => message.type === 'reservation').map((message) => message.id)).not.toContain(bobsHold.body.id);
    expect(bobSocket.messages.filter((message) => message.type === 'reservation').map((message) => message.id)).not.toContain(alicesBooking.body.id);
    expect(anonymous.messages.filter((message) => message.type === 'reservation')).toEqual([]);
  });

  it('a token that does not verify gets an unauthorized error and close code 4401', async () => {
    const client = await connect(stack.wsUrl, { token: 'not-a-jwt' });
    expect(await client.next((message) => message.type === 'error')).toMatchObject({ error: 'unauthorized' });
    expect(await client.closed).toBe(4401);
  });
});

describe('slow and dead clients', () => {
  it('a client that stops reading is dropped once its queue passes the limit; the server never queues much more', async () => {
    // The largest room: each snapshot is about 90 KB.
    const eventId = await stack.http.event(organizer.token, { type: 'reserved', rows: 26, seatsPerRow: 100 });
    const healthy = await connect();
    healthy.subscribe(eventId);
    await healthy.next((message) => message.type === 'snapshot');

    const before = stack.liveFeed.stats();
    const stalled = await connect();
    stalled.subscribe(eventId);
    await stalled.next((message) => message.type === 'snapshot');
    stalled.socket.pause(); // stops reading from TCP: the kernel buffers fill, then the server's queue
    let peakBuffered = 0;
    const sampler = setInterval(() => (peakBuffered = Math.max(peakBuffered, stack.liveFeed.stats().bufferedBytes)), 2);
    // Ask for ~36 MB of snapshots without reading any of it.
    for (let i = 0; i < 400; i++) stalled.subscribe(eventId);
    await expect.poll(() => stack.liveFeed.stats().droppedSlowClients, { timeout: 10_000 }).toBe(before.droppedSlowClients + 1);
    clearInterval(sampler);

    expect(peakBuffered).toBeLessThan(stack.cfg.LIVE_MAX_BUFFERED_BYTES + 200_000);
    expect(stack.liveFeed.stats().bufferedBytes).toBeLessThan(200_000);
    stalled.socket.resume();
    expect(await stalled.closed).toBe(1006);
    // Everyone else is unaffected.
    healthy.subscribe(eventId);
    await healthy.next((message) => message.type === 'snapshot', 5000, 1);
  });

  it('a client that does not answer pings is dropped after one interval; one that answers stays', async () => {
    const quick = await secondApiProcess({ LIVE_PING_INTERVAL_MS: 300 });
    const mute = await connect(quick.wsUrl, { ws: { autoPong: false } });
    const alive = await connect(quick.wsUrl);
    expect(await mute.closed).toBe(1006);
    expect(quick.feed.stats().droppedUnresponsiveClients).toBe(1);
    await delay(900);
    expect(alive.closeCode).toBeUndefined();
    expect(quick.feed.stats().clients).toBe(1);
  });
});
