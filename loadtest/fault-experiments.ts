/**
 * `npm run experiment:faults [-- --out-dir docs/experiments]`: what a crash in the middle of a
 * booking costs under each protocol (docs/saga-vs-2pc.md). On a stack of its own (three
 * databases), for each case a worker that kills itself at the chosen point takes a booking of one
 * seat; then, at once, a fresh worker takes over and another customer asks for the same seat.
 * Measured: how long the seat stayed locked (2PC) or visibly held (saga), how long the competing
 * request took and what it got, and when the crashed booking ended and how. Each case ends with
 * the invariant check.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ErrorBody, Reservation } from '../api/contract/index.js';
import { checkInvariants } from '../db/invariants.js';
import { pollUntil } from '../lib/poll.js';
import { reservationWorkflowId, type ReservationRequest, type ReservationSnapshot } from '../lib/reservations.js';
import { chaosSectionOf } from './chaos-report.js';
import { experimentEnv, startExperimentStack, type ExperimentStack } from './experiment-stack.js';
import { createEvent, login, register, seatStates } from './api.js';
import { settingsFromCommandLine, textFlag, type Flag } from './cli-flags.js';
import { ApiClient, isErrorBody } from './http-client.js';

type Case = '2pc-after-prepare' | '2pc-after-decision' | 'saga-before-tickets';
const cases: { name: Case; protocol: 'saga' | '2pc'; summary: string }[] = [
  { name: '2pc-after-prepare', protocol: '2pc', summary: 'coordinator killed after every participant prepared, before the decision' },
  { name: '2pc-after-decision', protocol: '2pc', summary: 'coordinator killed after logging "commit", before telling anyone' },
  { name: 'saga-before-tickets', protocol: 'saga', summary: 'worker killed mid-saga: seats held and card charged, no tickets yet' },
];

interface Outcome {
  case: Case;
  summary: string;
  /** 2PC: crash → no prepared transaction of the booking left. Saga: crash → its seats no longer "held". */
  seatBlockedMs: number;
  competitor: { status: number; error?: string; tookMs: number };
  /**
   * Another seat of the event, booked right after the crash: how long after its 201 the read model
   * (the live seat map) showed it sold. The projection cannot pass a transaction still open, and a
   * prepared one is open until it is resolved.
   */
  readModelDelayMs: number;
  crashed: { status: string; endedAfterMs: number };
  invariants: string[];
}

const flags: readonly Flag<{ outDir: string }>[] = [textFlag('out-dir', 'outDir', 'DIR', 'where faults.md and faults.json go')];
const { outDir } = settingsFromCommandLine(flags, { outDir: 'docs/experiments' }, 'Usage: npm run experiment:faults -- [options]\n\nWhat a crash in the middle of a booking costs under each protocol.');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (line: string) => console.error(`[faults] ${line}`);

function startWorker(stack: ExperimentStack, taskQueue: string, script: string, extra: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [path.join(root, 'dist', script)], { cwd: root, env: { ...process.env, ...stack.env, TASK_QUEUE: taskQueue, ...extra }, stdio: ['ignore', 'pipe', 'inherit'] });
}

async function waitForLine(child: ChildProcess, text: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before "${text}"`)));
  });
}

const until = (check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<true> =>
  pollUntil(async () => (await check()) || undefined, { timeoutMs, intervalMs: 20, what });

async function runCase(stack: ExperimentStack, api: ApiClient, spec: (typeof cases)[number], accounts: { organizer: string; customer: { id: string; token: string }; rival: string }): Promise<Outcome> {
  const created = await createEvent(api, accounts.organizer, { name: `Fault ${spec.name}`, venue: 'Fault hall', inDays: 30, priceCents: 2000, seating: { type: 'reserved', rows: 2, seatsPerRow: 5 } });
  const eventId = created.id;
  // A first booking creates the inventory, so the crash hits a warm one.
  await api.post('/api/reservations', { eventId, seats: ['B-5'], paymentToken: 'tok_visa' }, accounts.customer.token, { 'Booking-Protocol': spec.protocol });

  const taskQueue = `faults-${spec.name}-${randomUUID().slice(0, 8)}`;
  const crashing = startWorker(stack, taskQueue, 'loadtest/crashing-worker.js', { CRASH_AT: spec.name });
  await waitForLine(crashing, 'crashing worker ready');
  const reservationId = randomUUID();
  const request: ReservationRequest = {
    reservationId,
    eventId,
    eventName: `Fault ${spec.name}`,
    customerId: accounts.customer.id,
    seating: 'reserved',
    seatIds: ['A-1'],
    quantity: 1,
    capacity: 10,
    rows: 2,
    seatsPerRow: 5,
    amountCents: 2000,
    currency: 'EUR',
    paymentToken: 'tok_visa',
    holdTtlMs: 600_000,
    requestHash: 'fault-experiment',
  };
  const exited = new Promise((resolve) => crashing.once('exit', resolve));
  const handle = await stack.temporal.workflow.start(spec.protocol === '2pc' ? 'twoPhaseReservation' : 'reservation', { workflowId: reservationWorkflowId(reservationId), taskQueue, args: [request] });
  await exited;
  const crashedAt = Date.now();
  log(`${spec.name}: worker killed`);

  const booking = stack.storeSqls.booking;
  const blocked = async () =>
    spec.protocol === '2pc'
      ? (await booking<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_prepared_xacts WHERE gid LIKE ${`boxoffice:${reservationId}:%`}`)[0]?.n !== 0
      : (await booking<{ n: number }[]>`SELECT count(*)::int AS n FROM booking.seats WHERE reservation_id = ${reservationId} AND status = 'held'`)[0]?.n !== 0;
  const seatFree = until(async () => !(await blocked()), 120_000, `${spec.name}: the crashed booking's seat to be free`).then(() => Date.now() - crashedAt);

  // At once: a fresh worker takes the crashed one's queue, and a rival asks for the same seat.
  const successor = startWorker(stack, taskQueue, 'worker/main.js');
  const rivalStart = Date.now();
  const rivalAnswer = api.post<Reservation | ErrorBody>('/api/reservations', { eventId, seats: ['A-1'], paymentToken: 'tok_visa' }, accounts.rival, { 'Booking-Protocol': spec.protocol });
  const elsewhere = await api.post<Reservation | ErrorBody>('/api/reservations', { eventId, seats: ['B-1'], paymentToken: 'tok_visa' }, accounts.rival, { 'Booking-Protocol': spec.protocol });
  const confirmedAt = Date.now();
  if (isErrorBody(elsewhere.body) || elsewhere.body.status !== 'confirmed') throw new Error(`booking B-1 got ${elsewhere.status}`);
  const seatMapStatus = async (seat: string) => (await seatStates(api, eventId)).find((entry) => entry.id === seat)?.status;
  await until(async () => (await seatMapStatus('B-1')) === 'sold', 120_000, `${spec.name}: B-1 sold on the seat map`);
  const readModelDelayMs = Date.now() - confirmedAt;
  const rival = await rivalAnswer;
  const competitor = { status: rival.status, ...(isErrorBody(rival.body) ? { error: rival.body.error } : {}), tookMs: Date.now() - rivalStart };
  const result = (await handle.result()) as ReservationSnapshot;
  const endedAfterMs = Date.now() - crashedAt;
  const seatBlockedMs = await seatFree;
  const successorExit = new Promise((resolve) => successor.once('exit', resolve));
  successor.kill('SIGTERM');
  await successorExit;

  // The projection catches up within a sweep; then every promise must hold.
  let invariants: string[] = [];
  for (let round = 0; round < 100; round++) {
    invariants = (await checkInvariants(stack.storeSqls, { eventIds: [eventId], settled: true, readModel: true })).map((violation) => `${violation.rule}: ${violation.detail}`);
    if (invariants.length === 0) break;
    await delay(100);
  }
  const outcome: Outcome = { case: spec.name, summary: spec.summary, seatBlockedMs, competitor, readModelDelayMs, crashed: { status: result.status, endedAfterMs }, invariants };
  log(`${spec.name}: ${JSON.stringify(outcome)}`);
  return outcome;
}

function markdown(outcomes: Outcome[], started: string): string {
  const lines = [
    '# Fault experiments: a crash in the middle of a booking',
    '',
    `Generated by \`npm run experiment:faults\` on ${started}. Method and conclusions: [docs/saga-vs-2pc.md](../saga-vs-2pc.md).`,
    '',
    '| case | seat locked (2PC) / visibly held (saga) after the crash | rival asking for the same seat | another seat booked meanwhile: on the live seat map after | crashed booking ended | invariants |',
    '|---|---:|---|---:|---|---|',
  ];
  for (const o of outcomes) {
    lines.push(
      `| ${o.summary} | ${(o.seatBlockedMs / 1000).toFixed(2)} s | ${o.competitor.status}${o.competitor.error ? ` ${o.competitor.error}` : ''} after ${(o.competitor.tookMs / 1000).toFixed(2)} s | ${(o.readModelDelayMs / 1000).toFixed(2)} s | ${o.crashed.status} after ${(o.crashed.endedAfterMs / 1000).toFixed(2)} s | ${o.invariants.length === 0 ? 'OK' : `FAILED: ${o.invariants.slice(0, 3).join('; ')}`} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const started = new Date().toISOString();
const stack = await startExperimentStack(experimentEnv('faults', { api: 3320, temporal: 7273, ui: 8273 }), log);
const api = new ApiClient(stack.baseUrl, { maxSockets: 8, timeoutMs: 120_000 });
const outcomes: Outcome[] = [];
try {
  const organizer = await login(api, { email: 'organizer@boxoffice.test', password: 'organizer-password' });
  const customer = await login(api, { email: 'customer@boxoffice.test', password: 'customer-password' });
  const rival = await register(api, { email: `rival-${randomUUID().slice(0, 8)}@faults.test`, password: 'rival-password', name: 'Rival', role: 'customer' });
  for (const spec of cases) outcomes.push(await runCase(stack, api, spec, { organizer: organizer.token, customer: { id: customer.user.id, token: customer.token }, rival: rival.token }));
} finally {
  api.close();
  await stack.stop();
}
await mkdir(outDir, { recursive: true });
await writeFile(path.join(outDir, 'faults.json'), JSON.stringify({ startedAt: started, outcomes }, null, 1));
// The chaos experiment's section of the same file stays as it was.
const chaosSection = chaosSectionOf(await readFile(path.join(outDir, 'faults.md'), 'utf8').catch(() => ''));
await writeFile(path.join(outDir, 'faults.md'), `${markdown(outcomes, started)}${chaosSection ? `\n${chaosSection}` : ''}`);
console.log(markdown(outcomes, started));
process.exitCode = outcomes.every((outcome) => outcome.invariants.length === 0) ? 0 : 1;
