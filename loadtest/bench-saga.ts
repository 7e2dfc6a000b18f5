/**
 * `npm run bench:saga [-- --base-url URL --sequential 100 --clients 20 --seconds 10]`: the two
 * figures of the saga issue, against a running stack (`npm start`):
 *   1. latency of one uncontended booking (p50 over N sequential bookings, one seat each);
 *   2. confirmed bookings per second with C concurrent clients, each booking its own seats.
 * Prints figures; asserts nothing. Loopback only; bounded in count and time.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import * as hdr from 'hdr-histogram-js';

const { values } = parseArgs({
  options: {
    'base-url': { type: 'string', default: 'http://localhost:3000' },
    sequential: { type: 'string', default: '100' },
    clients: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '10' },
  },
});
const baseUrl = values['base-url'].replace(/\/+$/, '');
const sequential = Number(values.sequential);
const clients = Number(values.clients);
const seconds = Number(values.seconds);

async function call<T>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }> {
  const response = await fetch(baseUrl + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function register(role: 'customer' | 'organizer'): Promise<string> {
  const result = await call<{ token: string }>('POST', '/api/auth/register', { email: `bench-${role}-${randomUUID()}@example.test`, password: 'benchmark password', name: 'Bench', role });
  if (result.status !== 201) throw new Error(`register: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body.token;
}

async function createRoom(organizer: string): Promise<string> {
  const result = await call<{ id: string }>(
    'POST',
    '/api/events',
    { name: `Benchmark ${new Date().toISOString()}`, venue: 'Bench hall', startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), priceCents: 1000, seating: { type: 'reserved', rows: 26, seatsPerRow: 100 } },
    organizer,
  );
  if (result.status !== 201) throw new Error(`create event: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body.id;
}

const seatNames = Array.from({ length: 26 * 100 }, (_, i) => `${String.fromCharCode(65 + Math.floor(i / 100))}-${(i % 100) + 1}`);

function summary(histogram: hdr.Histogram): string {
  const ms = (value: number) => `${(value / 1000).toFixed(1)} ms`;
  return `p50 ${ms(histogram.getValueAtPercentile(50))}, p90 ${ms(histogram.getValueAtPercentile(90))}, p99 ${ms(histogram.getValueAtPercentile(99))}, max ${ms(histogram.maxValue)}, mean ${ms(histogram.mean)}`;
}

const organizer = await register('organizer');
const customer = await register('customer');
const eventId = await createRoom(organizer);
let nextSeat = 0;

async function bookOne(token: string): Promise<{ micros: number; status: number }> {
  const seat = seatNames[nextSeat++];
  if (!seat) throw new Error('the benchmark room is full');
  const started = process.hrtime.bigint();
  const result = await call('POST', '/api/reservations', { eventId, seats: [seat], paymentToken: 'tok_visa' }, token);
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
const tokens = await Promise.all(Array.from({ length: clients }, () => register('customer')));
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
