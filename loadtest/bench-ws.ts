/**
 * `npm run bench:ws [-- --base-url URL --clients 1000 --bookings 200 --steps 250,500,1000,2000,4000,8000]`:
 * the live seat map's figures, against a running stack (`npm start`), on loopback:
 *   1. change-to-screen latency with `--clients` sockets subscribed to one event during a burst of
 *      `--bookings` bookings: from the seat-lock transaction (booking.outbox.created_at, read through
 *      DATABASE_URL) to the WebSocket message arriving at each client; p50/p90/p99/max;
 *   2. the largest number of subscribed sockets one API process serves with p99 < 200 ms, stepping
 *      up through `--steps` with a shorter burst each, until p99 passes 200 ms or time runs out.
 * The clients run in this one Node process on the same machine, so the figures include their own
 * event-loop delay: they are an upper bound. Prints figures; asserts nothing; bounded in count and time.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import * as hdr from 'hdr-histogram-js';
import postgres from 'postgres';
import { WebSocket } from 'ws';
import type { ErrorBody, Reservation } from '../api/contract/index.js';
import { config } from '../lib/config.js';
import { pollUntil, PollTimeoutError } from '../lib/poll.js';
import { allSeatIds } from '../lib/seating.js';
import { apiMetric } from './api-memory.js';
import { createEvent, register } from './api.js';
import { baseUrlFlag, settingsFromCommandLine, textFlag, wholeNumberFlag, type Flag } from './cli-flags.js';
import { ApiClient } from './http-client.js';

interface BenchSettings {
  baseUrl: string;
  databaseUrl: string;
  clients: number;
  bookings: number;
  concurrency: number;
  steps: string;
  stepBookings: number;
  maxSeconds: number;
}

const defaults: BenchSettings = {
  baseUrl: process.env.BASE_URL ?? `http://127.0.0.1:${config().PORT}`,
  databaseUrl: config().DATABASE_URL,
  clients: 1000,
  bookings: 200,
  concurrency: 20,
  steps: '250,500,1000,2000,4000,8000',
  stepBookings: 60,
  maxSeconds: 420,
};
const flags: readonly Flag<BenchSettings>[] = [
  {
    ...baseUrlFlag<BenchSettings>('base-url', 'baseUrl', 'API to measure, on loopback ($BASE_URL, or $PORT)'),
    check: ({ baseUrl }) => {
      const host = URL.canParse(baseUrl) ? new URL(baseUrl).hostname : baseUrl;
      return ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host) ? undefined : `--base-url: bench:ws runs against loopback only, not ${host}`;
    },
  },
  textFlag('database-url', 'databaseUrl', 'URL', 'owner connection, to read when each change was committed ($DATABASE_URL)'),
  wholeNumberFlag('clients', 'clients', { min: 1, max: 20_000 }, 'subscribed sockets of the latency figure'),
  wholeNumberFlag('bookings', 'bookings', { min: 1, max: 2600 }, 'bookings of the latency burst'),
  wholeNumberFlag('concurrency', 'concurrency', { min: 1, max: 500 }, 'bookings in flight at once'),
  {
    ...textFlag<BenchSettings>('steps', 'steps', 'N,N,...', 'subscribed sockets of each step-up'),
    check: ({ steps }) => (steps.split(',').every((step) => /^\d+$/.test(step.trim()) && Number(step) > 0) ? undefined : `--steps ${steps}: write whole numbers separated by commas`),
  },
  wholeNumberFlag('step-bookings', 'stepBookings', { min: 1, max: 2600 }, 'bookings of each step'),
  wholeNumberFlag('max-seconds', 'maxSeconds', { min: 1, max: 7200 }, 'no new step starts after this'),
];

const settings = settingsFromCommandLine(flags, defaults, 'Usage: npm run bench:ws -- [options]\n\nChange-to-screen latency of the live seat map, and how many sockets one API process serves.');
const { baseUrl, concurrency, stepBookings } = settings;
const wsUrl = `${baseUrl.replace(/^http/, 'ws')}/ws`;
const clientsForLatency = settings.clients;
const burstBookings = settings.bookings;
const steps = settings.steps.split(',').map(Number);
const deadline = Date.now() + settings.maxSeconds * 1000;
const P99_LIMIT_MS = 200;

const sql = postgres(settings.databaseUrl, { max: 2, onnotice: () => {} });
const api = new ApiClient(baseUrl, { maxSockets: concurrency + 4, timeoutMs: 60_000 });
const now = () => performance.timeOrigin + performance.now();

async function newAccount(role: 'customer' | 'organizer'): Promise<string> {
  return (await register(api, { email: `bench-ws-${role}-${randomUUID()}@example.test`, password: 'benchmark password', name: 'Bench', role })).token;
}

const ROWS = 26;
const SEATS_PER_ROW = 100;
async function createRoom(organizer: string, label: string): Promise<string> {
  const event = await createEvent(api, organizer, { name: `WS bench ${label} ${new Date().toISOString()}`, venue: 'Bench hall', inDays: 7, priceCents: 1000, seating: { type: 'reserved', rows: ROWS, seatsPerRow: SEATS_PER_ROW } });
  return event.id;
}
const seatNames = allSeatIds({ type: 'reserved', rows: ROWS, seatsPerRow: SEATS_PER_ROW });

/** What the subscribed sockets saw of one event: when each version arrived, at every socket. */
class Audience {
  readonly sockets: WebSocket[] = [];
  /** version → arrival times (epoch ms), one per socket. */
  readonly arrivals = new Map<number, number[]>();
  /** version → the changes it carried (from the first socket that got it). */
  readonly changes = new Map<number, { id: string; status: string }[]>();
  gaps = 0;

  constructor(readonly eventId: string) {}

  async open(count: number): Promise<void> {
    for (let start = 0; start < count; start += 250) {
      const batch = Array.from({ length: Math.min(250, count - start) }, () => this.openOne());
      await Promise.all(batch);
    }
  }

  private openOne(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(wsUrl, { perMessageDeflate: false });
      let version = -1;
      socket.on('open', () => socket.send(JSON.stringify({ type: 'subscribe', eventId: this.eventId })));
      socket.on('error', reject);
      socket.on('message', (data) => {
        const at = now();
        const message = JSON.parse(data.toString()) as { type: string; version: number; changes?: { id: string; status: string }[] };
        if (message.type === 'snapshot') {
          if (version === -1) resolve();
          version = message.version;
          return;
        }
        if (message.type !== 'seats') return;
        if (message.version !== version + 1) this.gaps++;
        version = message.version;
        const times = this.arrivals.get(version) ?? [];
        if (times.length === 0) {
          this.arrivals.set(version, times);
          this.changes.set(version, message.changes ?? []);
        }
        times.push(at);
      });
      this.sockets.push(socket);
    });
  }

  /** Waits until every socket has the read model's current version (or gives up after 30 s: the figures show what arrived). */
  async settle(): Promise<void> {
    const everySocketHasIt = async () => {
      const [row] = await sql<{ version: string }[]>`SELECT version::text FROM readmodel.event_availability WHERE event_id = ${this.eventId}`;
      return (this.arrivals.get(Number(row?.version ?? 0))?.length ?? 0) >= this.sockets.length || undefined;
    };
    await pollUntil(everySocketHasIt, { timeoutMs: 30_000, intervalMs: 100, what: 'every socket to see the last version' }).catch((error: unknown) => {
      if (!(error instanceof PollTimeoutError)) throw error;
    });
  }

  /**
   * Latency of every arrival: its time minus the commit time of the newest seat change it carries,
   * found in the outbox (the seat-lock or confirm transaction that wrote it).
   */
  async latencies(): Promise<{ deliveries: hdr.Histogram; firstArrival: hdr.Histogram; fanOut: hdr.Histogram }> {
    const rows = await sql<{ payload: { changes?: { id: string; status: string }[] }; at: number }[]>`
      SELECT payload, extract(epoch FROM created_at) * 1000 AS at FROM booking.outbox WHERE event_id = ${this.eventId} AND kind = 'seats' ORDER BY id`;
    const written = new Map<string, number[]>();
    for (const row of rows) {
      for (const change of row.payload.changes ?? []) {
        const key = `${change.id}|${change.status}`;
        (written.get(key) ?? written.set(key, []).get(key))?.push(Number(row.at));
      }
    }
    const histogram = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
    const micros = (milliseconds: number) => Math.max(1, Math.round(milliseconds * 1000));
    const result = { deliveries: histogram(), firstArrival: histogram(), fanOut: histogram() };
    for (const [version, times] of this.arrivals) {
      const firstArrival = Math.min(...times);
      let committed = 0;
      for (const change of this.changes.get(version) ?? []) {
        const candidates = (written.get(`${change.id}|${change.status}`) ?? []).filter((at) => at <= firstArrival);
        committed = Math.max(committed, candidates.at(-1) ?? 0);
      }
      if (committed === 0) continue;
      for (const at of times) result.deliveries.recordValue(micros(at - committed));
      // Split: commit → first socket is the pipeline (projection, NOTIFY, relay); first → last
      // socket is the fan-out of one message over every subscriber.
      result.firstArrival.recordValue(micros(firstArrival - committed));
      result.fanOut.recordValue(micros(Math.max(...times) - firstArrival));
    }
    return result;
  }

  close(): void {
    for (const socket of this.sockets) socket.terminate();
  }
}

let nextSeat = 0;
/** `count` single-seat tok_visa bookings, `concurrency` at a time, on fresh seats of `eventId`. */
async function burst(eventId: string, customers: string[], count: number): Promise<{ confirmed: number; other: number; seconds: number }> {
  let confirmed = 0;
  let other = 0;
  let issued = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (issued < count) {
        issued++;
        const seat = seatNames[nextSeat++ % seatNames.length];
        const token = customers[worker % customers.length] ?? '';
        const result = await api.post<Reservation | ErrorBody>('/api/reservations', { eventId, seats: [seat], paymentToken: 'tok_visa' }, token);
        if (result.status === 201) confirmed++;
        else other++;
      }
    }),
  );
  return { confirmed, other, seconds: (Date.now() - started) / 1000 };
}

const metric = (name: string) => apiMetric(api, name);
const apiMemoryMiB = async () => ((await metric('process_resident_memory_bytes')) ?? NaN) / 1024 / 1024;

/** The API's own time to hand one message to every socket (live_feed_relay_seconds), mean over a span. */
async function relayClock(): Promise<() => Promise<number>> {
  const [sum, count] = [(await metric('live_feed_relay_seconds_sum')) ?? 0, (await metric('live_feed_relay_seconds_count')) ?? 0];
  return async () => {
    const messages = ((await metric('live_feed_relay_seconds_count')) ?? 0) - count;
    return messages > 0 ? ((((await metric('live_feed_relay_seconds_sum')) ?? 0) - sum) / messages) * 1000 : NaN;
  };
}

const ms = (micros: number) => `${(micros / 1000).toFixed(1)} ms`;
const summary = (histogram: hdr.Histogram) =>
  `p50 ${ms(histogram.getValueAtPercentile(50))}, p90 ${ms(histogram.getValueAtPercentile(90))}, p99 ${ms(histogram.getValueAtPercentile(99))}, max ${ms(histogram.maxValue)} (${histogram.totalCount} deliveries)`;

async function measure(clients: number, bookings: number, organizer: string, customers: string[], label: string) {
  const eventId = await createRoom(organizer, label);
  nextSeat = 0;
  const audience = new Audience(eventId);
  const memoryBefore = await apiMemoryMiB();
  const opened = Date.now();
  await audience.open(clients);
  const openSeconds = (Date.now() - opened) / 1000;
  const memoryAfter = await apiMemoryMiB();
  const relayMean = await relayClock();
  const load = await burst(eventId, customers, bookings);
  await audience.settle();
  const relayMs = await relayMean();
  const { deliveries: histogram, firstArrival, fanOut } = await audience.latencies();
  audience.close();
  // Let the API notice the closed sockets before the next step.
  await delay(1000);
  return { histogram, firstArrival, fanOut, relayMs, load, openSeconds, gaps: audience.gaps, messages: audience.arrivals.size, memoryBefore, memoryAfter };
}

try {
  const organizer = await newAccount('organizer');
  const customers = await Promise.all(Array.from({ length: concurrency }, () => newAccount('customer')));
  // Warm-up: the first workflows and connections cost more than what we measure.
  await measure(10, 10, organizer, customers, 'warm-up');

  console.log(`Live seat map against ${baseUrl} (one API process), clients in this process, loopback.\n`);
  const latency = await measure(clientsForLatency, burstBookings, organizer, customers, 'latency');
  console.log(
    `1. ${clientsForLatency} subscribed clients, ${burstBookings} bookings at ${concurrency} concurrent (${latency.load.confirmed} confirmed, ` +
      `${(latency.load.confirmed / latency.load.seconds).toFixed(1)}/s), ${latency.messages} seat messages:\n` +
      `   change-to-screen latency ${summary(latency.histogram)}; version gaps seen by clients: ${latency.gaps}\n` +
      `   of which, per message: commit → first socket p50 ${ms(latency.firstArrival.getValueAtPercentile(50))}, p99 ${ms(latency.firstArrival.getValueAtPercentile(99))}; ` +
      `first → last socket p50 ${ms(latency.fanOut.getValueAtPercentile(50))}, p99 ${ms(latency.fanOut.getValueAtPercentile(99))}; ` +
      `the API's own relay time per message (all sockets): mean ${latency.relayMs.toFixed(2)} ms`,
  );
  console.log(`   API resident memory ${latency.memoryBefore.toFixed(0)} MiB → ${latency.memoryAfter.toFixed(0)} MiB with the clients connected`);

  console.log(`\n2. Step-up, ${stepBookings} bookings per step, until p99 passes ${P99_LIMIT_MS} ms:`);
  let largestWithinLimit = 0;
  for (const clients of steps) {
    if (Date.now() > deadline) {
      console.log(`   stopped: --max-seconds reached before ${clients} clients`);
      break;
    }
    const step = await measure(clients, stepBookings, organizer, customers, `step ${clients}`);
    const p99 = step.histogram.getValueAtPercentile(99) / 1000;
    console.log(
      `   ${String(clients).padStart(5)} clients (connected in ${step.openSeconds.toFixed(1)} s): ${summary(step.histogram)}; gaps ${step.gaps}; ` +
        `commit → first socket p99 ${ms(step.firstArrival.getValueAtPercentile(99))}, fan-out p99 ${ms(step.fanOut.getValueAtPercentile(99))}, ` +
        `API relay mean ${step.relayMs.toFixed(2)} ms, API memory ${step.memoryAfter.toFixed(0)} MiB`,
    );
    if (p99 >= P99_LIMIT_MS) break;
    largestWithinLimit = clients;
  }
  console.log(`\n   Largest tested number of subscribed clients with p99 < ${P99_LIMIT_MS} ms: ${largestWithinLimit || 'none'}${largestWithinLimit === steps.at(-1) ? ' (the last step: the real limit is higher)' : ''}`);
} finally {
  api.close();
  await sql.end({ timeout: 5 });
}
