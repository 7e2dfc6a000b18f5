/**
 * `npm run bench:queue-fanout [-- --base-url URL --clients 2000 --buyers 60 --admit-per-minute 120]`:
 * how fast one change of a waiting room reaches every waiting socket (docs/waiting-room.md,
 * "Live"), against a running stack on loopback. `--clients` anonymous sockets subscribe to one
 * event's queue; `--buyers` accounts join it before the opening and are admitted at
 * `--admit-per-minute`, so each admission tick is one broadcast. Latency of a delivery: its arrival
 * at a socket minus the moment this process's own LISTEN on the same channel heard the NOTIFY
 * (Postgres delivers both at once; the figure is the API's relay and fan-out). The clients run in
 * this one Node process, so the figures include their own event-loop delay: an upper bound.
 * Prints figures; asserts nothing; bounded in count and time.
 */
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import postgres from 'postgres';
import { WebSocket } from 'ws';
import type { ErrorBody, Event, QueuePlace } from '../api/contract/index.js';
import { QUEUE_CHANNEL, queueChangeMessage } from '../db/channels.js';
import { config } from '../lib/config.js';
import { expectStatus, register } from './api.js';
import { baseUrlFlag, settingsFromCommandLine, textFlag, wholeNumberFlag, type Flag } from './cli-flags.js';
import { ApiClient } from './http-client.js';

interface BenchSettings {
  baseUrl: string;
  databaseUrl: string;
  clients: number;
  buyers: number;
  admitPerMinute: number;
  maxSeconds: number;
}

const defaults: BenchSettings = {
  baseUrl: process.env.BASE_URL ?? `http://127.0.0.1:${config().PORT}`,
  databaseUrl: config().DATABASE_URL,
  clients: 2000,
  buyers: 60,
  admitPerMinute: 120,
  maxSeconds: 180,
};
const flags: readonly Flag<BenchSettings>[] = [
  baseUrlFlag<BenchSettings>('base-url', 'baseUrl', 'API to measure, on loopback ($BASE_URL, or $PORT)'),
  textFlag('database-url', 'databaseUrl', 'URL', 'owner connection, to LISTEN on the queue channel ($DATABASE_URL)'),
  wholeNumberFlag('clients', 'clients', { min: 1, max: 20_000 }, 'sockets subscribed to the queue'),
  wholeNumberFlag('buyers', 'buyers', { min: 1, max: 1_000 }, 'accounts that join and are admitted (one broadcast per admission tick)'),
  wholeNumberFlag('admit-per-minute', 'admitPerMinute', { min: 1, max: 100_000 }, 'the queue’s fixed rate'),
  wholeNumberFlag('max-seconds', 'maxSeconds', { min: 1, max: 3_600 }, 'stop waiting for admissions after this'),
];

const settings = settingsFromCommandLine(flags, defaults, 'Usage: npm run bench:queue-fanout -- [options]\n\nHow fast one waiting-room broadcast reaches every subscribed socket.');
const wsUrl = `${settings.baseUrl.replace(/^http/, 'ws')}/ws`;
const api = new ApiClient(settings.baseUrl, { maxSockets: 16, timeoutMs: 60_000 });
const sql = postgres(settings.databaseUrl, { max: 2, onnotice: () => {} });
const now = () => performance.timeOrigin + performance.now();

const account = async (role: 'customer' | 'organizer') => (await register(api, { email: `bench-queue-${role}-${randomUUID()}@example.test`, password: 'benchmark password', name: 'Bench', role })).token;

/** version → when this process's LISTEN heard it, and every socket's arrival. */
const heard = new Map<number, number>();
const arrivals = new Map<number, number[]>();
let lastAdmittedThrough = 0;

const organizer = await account('organizer');
const buyers: string[] = [];
for (let i = 0; i < settings.buyers; i++) buyers.push(await account('customer'));
// The opening leaves time to open the sockets: about 1 ms a socket here, plus margin.
const opensAt = new Date(Date.now() + 10_000 + settings.clients * 3);
const event = expectStatus(
  await api.post<Event | ErrorBody>(
    '/api/events',
    { name: `Queue fan-out ${new Date().toISOString()}`, venue: 'Bench arena', startsAt: new Date(Date.now() + 86_400_000).toISOString(), priceCents: 1000, seating: { type: 'general', capacity: 100_000 }, queue: { opensAt: opensAt.toISOString(), admitPerMinute: settings.admitPerMinute } },
    organizer,
  ),
  [201],
  'Creating the queued event',
);
for (const token of buyers) expectStatus(await api.post<QueuePlace | ErrorBody>(`/api/events/${event.id}/queue`, {}, token), [201], 'Joining');

const listener = await sql.listen(QUEUE_CHANNEL, (payload) => {
  const at = now();
  const message = queueChangeMessage.safeParse(JSON.parse(payload));
  if (message.success && message.data.eventId === event.id && !heard.has(message.data.version)) heard.set(message.data.version, at);
});

const sockets: WebSocket[] = [];
function openOne(): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, { perMessageDeflate: false });
    let subscribed = false;
    socket.on('open', () => socket.send(JSON.stringify({ type: 'subscribe_queue', eventId: event.id })));
    socket.on('error', reject);
    socket.on('message', (data) => {
      const at = now();
      const message = JSON.parse(data.toString()) as { type: string; version: number; admittedThrough: number };
      if (message.type !== 'queue') return;
      if (!subscribed) {
        // The first is the queue as it was at subscribe time, not a change.
        subscribed = true;
        resolve();
        return;
      }
      (arrivals.get(message.version) ?? arrivals.set(message.version, []).get(message.version))?.push(at);
      lastAdmittedThrough = Math.max(lastAdmittedThrough, message.admittedThrough);
    });
    sockets.push(socket);
  });
}
for (let start = 0; start < settings.clients; start += 250) await Promise.all(Array.from({ length: Math.min(250, settings.clients - start) }, openOne));
console.log(`Waiting room fan-out against ${settings.baseUrl}: ${settings.clients} sockets subscribed, ${settings.buyers} buyers admitted at ${settings.admitPerMinute}/min, opening ${opensAt.toISOString()}.`);

const deadline = Date.now() + settings.maxSeconds * 1000 + Math.max(0, opensAt.getTime() - Date.now());
while (lastAdmittedThrough < settings.buyers && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
await new Promise((resolve) => setTimeout(resolve, 1_000));

const histogram = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
const deliveries = histogram();
const spread = histogram();
const micros = (milliseconds: number) => Math.max(1, Math.round(milliseconds * 1000));
let broadcasts = 0;
let incomplete = 0;
for (const [version, times] of arrivals) {
  const t0 = heard.get(version);
  if (t0 === undefined) continue;
  broadcasts++;
  if (times.length < sockets.length) incomplete++;
  for (const at of times) deliveries.recordValue(micros(at - t0));
  spread.recordValue(micros(Math.max(...times) - Math.min(...times)));
}
const ms = (h: hdr.Histogram, p: number) => (h.getValueAtPercentile(p) / 1000).toFixed(1);
console.log(`  broadcasts measured: ${broadcasts} (${incomplete} not seen by every socket), deliveries: ${deliveries.totalCount}`);
console.log(`  NOTIFY → socket, ms:  p50 ${ms(deliveries, 50)}  p90 ${ms(deliveries, 90)}  p99 ${ms(deliveries, 99)}  max ${(deliveries.maxValue / 1000).toFixed(1)}`);
console.log(`  first → last socket of one broadcast, ms:  p50 ${ms(spread, 50)}  p99 ${ms(spread, 99)}  max ${(spread.maxValue / 1000).toFixed(1)}`);
console.log(`  load average ${os.loadavg().map((value) => value.toFixed(2)).join(' ')} (${os.cpus().length} cores)`);

await listener.unlisten();
for (const socket of sockets) socket.terminate();
api.close();
await sql.end();
