/**
 * `npm run bench:saga [-- --base-url URL --sequential 100 --clients 20 --seconds 10]`: the two
 * figures of the saga issue, against a running stack (`npm start`):
 *   1. latency of one uncontended booking (p50 over N sequential bookings, one seat each);
 *   2. confirmed bookings per second with C concurrent clients, each booking its own seats.
 * Prints figures; asserts nothing. Loopback only; bounded in count and time.
 */
import { randomUUID } from 'node:crypto';
import * as hdr from 'hdr-histogram-js';
import type { ErrorBody, Reservation } from '../api/contract/index.js';
import { allSeatIds } from '../lib/seating.js';
import { createEvent, register } from './api.js';
import { baseUrlFlag, settingsFromCommandLine, wholeNumberFlag, type Flag } from './cli-flags.js';
import { ApiClient } from './http-client.js';

interface BenchSettings {
  baseUrl: string;
  sequential: number;
  clients: number;
  seconds: number;
}

const defaults: BenchSettings = { baseUrl: 'http://localhost:3000', sequential: 100, clients: 20, seconds: 10 };
const flags: readonly Flag<BenchSettings>[] = [
  baseUrlFlag('base-url', 'baseUrl', 'API to drive'),
  wholeNumberFlag('sequential', 'sequential', { min: 1, max: 2000 }, 'uncontended bookings, one after the other'),
  wholeNumberFlag('clients', 'clients', { min: 1, max: 500 }, 'concurrent clients of the throughput figure'),
  wholeNumberFlag('seconds', 'seconds', { min: 1, max: 600 }, 'length of the throughput figure'),
];

const settings = settingsFromCommandLine(flags, defaults, 'Usage: npm run bench:saga -- [options]\n\nUncontended booking latency and concurrent throughput of a running stack.');
const { baseUrl, sequential, clients, seconds } = settings;
const api = new ApiClient(baseUrl, { maxSockets: clients + 2, timeoutMs: 60_000 });

async function newAccount(role: 'customer' | 'organizer'): Promise<string> {
  return (await register(api, { email: `bench-${role}-${randomUUID()}@example.test`, password: 'benchmark password', name: 'Bench', role })).token;
}

async function createRoom(organizer: string): Promise<string> {
  const event = await createEvent(api, organizer, { name: `Benchmark ${new Date().toISOString()}`, venue: 'Bench hall', inDays: 7, priceCents: 1000, seating: { type: 'reserved', rows: 26, seatsPerRow: 100 } });
  return event.id;
}

const seatNames = allSeatIds({ type: 'reserved', rows: 26, seatsPerRow: 100 });

function summary(histogram: hdr.Histogram): string {
  const ms = (value: number) => `${(value / 1000).toFixed(1)} ms`;
  return `p50 ${ms(histogram.getValueAtPercentile(50))}, p90 ${ms(histogram.getValueAtPercentile(90))}, p99 ${ms(histogram.getValueAtPercentile(99))}, max ${ms(histogram.maxValue)}, mean ${ms(histogram.mean)}`;
}

const organizer = await newAccount('organizer');
const customer = await newAccount('customer');
const eventId = await createRoom(organizer);
let nextSeat = 0;

async function bookOne(token: string): Promise<{ micros: number; status: number }> {
  const seat = seatNames[nextSeat++];
  if (!seat) throw new Error('the benchmark room is full');
  const started = process.hrtime.bigint();
  const result = await api.post<Reservation | ErrorBody>('/api/reservations', { eventId, seats: [seat], paymentToken: 'tok_visa' }, token);
  return { micros: Number((process.hrtime.bigint() - started) / 1000n), status: result.status };
}

// Warm-up: first bundle/connection costs are not what we measure.
for (let i = 0; i < 5; i++) await bookOne(customer);

const single = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
for (let i = 0; i < sequential; i++) {
  const { micros, status } = await bookOne(customer);
  if (status !== 201) throw new Error(`sequential booking answered ${status}`);
  single.recordValue(micros);
}
console.log(`Uncontended booking, ${sequential} sequential (seat-lock, payment, ticket, confirm; answered 201): ${summary(single)}`);

const concurrent = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
const tokens = await Promise.all(Array.from({ length: clients }, () => newAccount('customer')));
const deadline = Date.now() + seconds * 1000;
let confirmed = 0;
let other = 0;
const started = Date.now();
await Promise.all(
  tokens.map(async (token) => {
    while (Date.now() < deadline) {
      const { micros, status } = await bookOne(token);
      concurrent.recordValue(micros);
      if (status === 201) confirmed++;
      else other++;
    }
  }),
);
const elapsed = (Date.now() - started) / 1000;
console.log(`${clients} concurrent clients for ${elapsed.toFixed(1)} s: ${(confirmed / elapsed).toFixed(1)} confirmed bookings/s (${confirmed} confirmed, ${other} other); latency ${summary(concurrent)}`);
api.close();
