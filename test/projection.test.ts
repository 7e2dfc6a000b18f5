import { setTimeout as delay } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectServiceToStores } from '../db/client.js';
import { createProjector } from '../worker/projector.js';
import { bookedSeats, bookingBurst, readModelVersion, sortedRecord, type BurstEvents } from './support/bookings.js';
import { LiveClient } from './support/live-client.js';
import { startStack, type Stack } from './support/stack.js';

let stack: Stack;
let organizer: { token: string };
let customers: { token: string }[];
const running = new Set<RunningProjection>();

beforeAll(async () => {
  // The test runs the projection itself, to kill it and to run two at once.
  stack = await startStack({ withoutProjection: true });
  organizer = await stack.http.user('organizer');
  customers = await Promise.all(Array.from({ length: 10 }, () => stack.http.user('customer')));
});

afterAll(async () => {
  await Promise.all([...running].map((projection) => projection.stop()));
  await stack?.stop();
});

interface RunningProjection {
  stop(): Promise<void>;
}

/** A projection loop in this process, on connections of its own. */
function startProjection(): RunningProjection {
  const database = connectServiceToStores('projection', ['shared', 'booking'], { max: 2 });
  const loop = createProjector({ source: database.of('booking').sql, target: database.of('shared').sql }).start({ sweepMs: 50, onError: () => {} });
  const projection = {
    async stop() {
      running.delete(projection);
      await loop.stop();
      await database.close();
    },
  };
  running.add(projection);
  return projection;
}

/**
 * The real projection process (worker/projection.ts), so that it can be killed like a crash: SIGKILL,
 * no shutdown code runs, Postgres drops its sessions and rolls back whatever batch was open.
 */
async function startProjectionProcess(): Promise<RunningProjection & { kill(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'worker/projection.ts'], {
    env: { ...process.env, LOG_LEVEL: 'info', NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const handle = {
    async kill() {
      running.delete(handle);
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      running.delete(handle);
      child.kill('SIGTERM');
      await exited;
    },
  };
  // Known to the clean-up before it has started: a start that never finishes (Postgres refusing
  // connections) must not leave the process running after the test gives up.
  running.add(handle);
  // It logs 'projection running' once its loop has started.
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('projection running')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`projection process exited early (${code}): ${output}`)));
  });
  return handle;
}

async function newEvents(): Promise<{ events: BurstEvents; eventIds: string[] }> {
  const events: BurstEvents = { reserved: [], general: [] };
  for (let i = 0; i < 2; i++) {
    events.reserved.push({ id: await stack.http.event(organizer.token, { type: 'reserved', rows: 4, seatsPerRow: 10 }), rows: 4, seatsPerRow: 10 });
  }
  events.general.push({ id: await stack.http.event(organizer.token, { type: 'general', capacity: 60 }), capacity: 60 });
  return { events, eventIds: [...events.reserved.map((event) => event.id), ...events.general.map((event) => event.id)] };
}

/** Waits until the read model equals booking for these events, with no help from the test. */
async function expectConverged(eventIds: string[]): Promise<void> {
  await expect.poll(() => stack.invariants({ eventIds, readModel: true }), { timeout: 20_000, interval: 200 }).toEqual([]);
}

/** A live client's view of every event equals booking.seats, and its versions came one by one. */
async function expectClientMatches(client: LiveClient, events: BurstEvents): Promise<void> {
  for (const { id } of events.reserved) {
    const view = await client.reach(id, await readModelVersion(stack.stores.booking.sql, id));
    expect(sortedRecord(view.seats)).toEqual(sortedRecord(await bookedSeats(stack.stores.booking.sql, id)));
    const start = view.versions[0] ?? 0;
    expect(view.versions).toEqual(Array.from({ length: view.versions.length }, (_, i) => start + i));
  }
  expect(client.breaches).toEqual([]);
}

describe('projection crash and concurrency', () => {
  it('a projection process killed mid-burst and restarted converges exactly to booking, publishing every version once', async () => {
    const [{ events, eventIds }, first, client] = await Promise.all([newEvents(), startProjectionProcess(), LiveClient.connect(stack.wsUrl)]);
    for (const eventId of eventIds) client.subscribe(eventId);

    const burst = bookingBurst(stack.http, events, customers, 80);
    // Kill it while it works.
    await expect.poll(() => readModelVersion(stack.owner.sql, events.reserved[0]?.id ?? ''), { timeout: 30_000, interval: 20 }).toBeGreaterThan(2);
    await first.kill();
    // The burst goes on without this file's projection while the next one boots. (In a full test run
    // other files' projections share the database and keep going: that is the concurrent case too.)
    await delay(1000);
    const restarted = await startProjectionProcess();
    await burst;

    await expectConverged(eventIds);
    await expectClientMatches(client, events);
    await restarted.stop();
    await client.close();
  }, 120_000);

  it('two projections at once produce the read model of one: equal to booking, each version published once', async () => {
    const { events, eventIds } = await newEvents();
    const client = await LiveClient.connect(stack.wsUrl);
    for (const eventId of eventIds) client.subscribe(eventId);

    const projections = [startProjection(), startProjection()];
    await bookingBurst(stack.http, events, customers, 50);

    await expectConverged(eventIds);
    await expectClientMatches(client, events);
    // Every published version of every event reached the client exactly once, none skipped.
    for (const eventId of eventIds) {
      const versions = client.views.get(eventId)?.versions ?? [];
      expect(versions.at(-1)).toBe(await readModelVersion(stack.owner.sql, eventId));
      expect(new Set(versions).size).toBe(versions.length);
    }
    await Promise.all(projections.map((projection) => projection.stop()));
    await client.close();
  }, 120_000);
});
