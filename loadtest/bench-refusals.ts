/**
 * `npm run bench:refusals`: what a lost race for a seat costs the API and Postgres (issue 11, item 3).
 * On a Temporal dev server and a scratch database of its own, with the real API, worker and
 * projection as child processes (loadtest/ceiling/stack.ts): one customer books 2 seats of a
 * 12 × 10 room; then 80 others ask for those same seats in a closed loop (each asks again the
 * moment it is refused, with a fresh Idempotency-Key as the load script and the page send one), 2 s
 * unmeasured, then a 10 s window. Prints refusals a second, their p50 and
 * p99, and the CPU a refusal of the API process, of Postgres (every `postgres` process), of this
 * process (the callers) and of the whole machine, from /proc; BENCH_ROUNDS windows (3) one after
 * the other, and their medians. Exits 1 unless every
 * answer was 409 `seats_unavailable` and the room still holds exactly the one booking.
 * The booking-attempt limit is raised for the run, so that every refusal pays its counter but none is
 * a 429. The machine is shared: compare runs of one sitting (see docs/performance.md).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Reservation } from '../api/contract/index.js';
import { storeSqls } from '../db/client.js';
import { checkInvariants } from '../db/invariants.js';
import { benchScaffold, fixed, median, startOwnStack } from './bench-scaffold.js';
import { groupCpuMs, machineCpu, snapshot } from './ceiling/cpu.js';
import { resolveOptions } from './options.js';
import { createEvent, organizerAccount, provisionCustomers } from './setup.js';
import { latencyStats } from './stats.js';

const TEMPORAL_PORT = Number(process.env.BENCH_TEMPORAL_PORT ?? 7461);
const API_PORT = Number(process.env.BENCH_API_PORT ?? 7471);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CALLERS = 80;
const WARM_MS = 2_000;
const WINDOW_MS = 10_000;
const SEATS = ['A-1', 'A-2'];
const WATCHDOG_MS = 10 * 60_000;

const log = (line: string) => console.error(`[bench:refusals] ${line}`);
const scaffold = benchScaffold('refusals', WATCHDOG_MS, log);

interface Window {
  refusals: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  apiMs: number;
  postgresMs: number;
  /** This process: the 80 callers' side of each request. */
  clientMs: number;
  machineMs: number;
  busyShare: number;
}

async function main(): Promise<number> {
  const { stack, api, stores } = await startOwnStack(scaffold, { temporalPort: TEMPORAL_PORT, apiPort: API_PORT, maxSockets: CALLERS + 1, env: { RESERVATION_ATTEMPTS_PER_CUSTOMER: '1000000' }, log });

  const runId = `bench-${Date.now().toString(36)}`;
  const organizer = await organizerAccount(api, resolveOptions({ baseUrl: stack.baseUrl, organizer: 'new' }), runId);
  const [winner, ...losers] = await provisionCustomers(api, stores.shared.sql, CALLERS + 1, runId);
  if (!winner) throw new Error('no customers');
  const eventId = await createEvent(api, organizer, { type: 'reserved', rows: 12, seatsPerRow: 10 }, `Refusals bench ${runId}`);
  const won = await api.post<Reservation>('/api/reservations', { eventId, seats: SEATS, paymentToken: 'tok_visa' }, winner.token);
  if (won.status !== 201 || won.body.status !== 'confirmed') throw new Error(`the first booking was not confirmed: ${won.status} ${JSON.stringify(won.body)}`);

  // Every answer of the run, by status and error code: all of them must be 409 seats_unavailable.
  const answers = new Map<string, number>();
  let latencies: number[] = [];
  let stopping = false;
  const callers = losers.map(async (loser) => {
    while (!stopping) {
      const sent = performance.now();
      // A fresh Idempotency-Key each time, as the load script and the page send one.
      const answer = await api.post<{ error?: string }>('/api/reservations', { eventId, seats: SEATS, paymentToken: 'tok_visa' }, loser.token, { 'Idempotency-Key': randomUUID() });
      latencies.push(performance.now() - sent);
      const key = `${answer.status} ${answer.body.error ?? ''}`.trim();
      answers.set(key, (answers.get(key) ?? 0) + 1);
    }
  });
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  await pause(WARM_MS);
  const windows: Window[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    latencies = [];
    const before = snapshot();
    const started = performance.now();
    await pause(WINDOW_MS);
    const after = snapshot();
    const elapsedS = (performance.now() - started) / 1000;
    const done = latencies;
    const stats = latencyStats(done);
    const machine = machineCpu(before, after);
    const window = {
      refusals: done.length,
      perSecond: done.length / elapsedS,
      p50Ms: stats.p50Ms,
      p99Ms: stats.p99Ms,
      apiMs: groupCpuMs(before, after, { tree: stack.pids.api }) / done.length,
      postgresMs: groupCpuMs(before, after, { comm: 'postgres' }) / done.length,
      clientMs: groupCpuMs(before, after, { only: process.pid }) / done.length,
      machineMs: machine.busyMs / done.length,
      busyShare: machine.utilisation,
    };
    windows.push(window);
    log(`window ${round}: ${window.refusals} answers (${fixed(window.perSecond, 0)}/s), p50 ${fixed(window.p50Ms, 0)} ms, p99 ${fixed(window.p99Ms, 0)} ms; CPU a refusal: API ${fixed(window.apiMs, 3)} ms, Postgres ${fixed(window.postgresMs, 3)} ms, load client ${fixed(window.clientMs, 3)} ms, machine ${fixed(window.machineMs, 3)} ms (${fixed(window.busyShare * 100, 0)}% of all cores busy)`);
  }
  stopping = true;
  await Promise.all(callers);

  const reservations = await stores.booking.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM booking.reservations WHERE event_id = ${eventId}`;
  const violations = await checkInvariants(storeSqls(stores), { eventIds: [eventId], settled: true });
  const onlyRefusals = answers.size === 1 && answers.has('409 seats_unavailable');
  const oneBooking = reservations[0]?.n === 1;
  console.log(
    [
      '',
      `bench:refusals — ${new Date().toISOString()}, ${os.cpus().length} cores, load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')} at the end`,
      `${CALLERS} customers asking for 2 seats someone has booked, in a closed loop; ${ROUNDS} windows of ${WINDOW_MS / 1000} s after ${WARM_MS / 1000} s unmeasured.`,
      '| window | refusals | refusals/s | p50 ms | p99 ms | CPU ms a refusal: API / Postgres / load client / machine | cores busy |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...windows.map((w, i) => `| ${i + 1} | ${w.refusals} | ${fixed(w.perSecond, 0)} | ${fixed(w.p50Ms, 0)} | ${fixed(w.p99Ms, 0)} | ${fixed(w.apiMs, 3)} / ${fixed(w.postgresMs, 3)} / ${fixed(w.clientMs, 3)} / ${fixed(w.machineMs, 3)} | ${fixed(w.busyShare * 100, 0)}% |`),
      '',
      `medians: ${fixed(median(windows.map((w) => w.perSecond)), 0)} refusals/s, p50 ${fixed(median(windows.map((w) => w.p50Ms)), 0)} ms, CPU a refusal: API ${fixed(median(windows.map((w) => w.apiMs)), 3)} ms, Postgres ${fixed(median(windows.map((w) => w.postgresMs)), 3)} ms, load client ${fixed(median(windows.map((w) => w.clientMs)), 3)} ms, machine ${fixed(median(windows.map((w) => w.machineMs)), 3)} ms`,
      `answers: ${[...answers.entries()].map(([key, n]) => `${key} × ${n}`).join(', ')}${onlyRefusals ? '' : ' — NOT all 409 seats_unavailable'}`,
      `the room: ${reservations[0]?.n ?? 0} reservation(s)${oneBooking ? '' : ' — expected exactly 1'}; invariants ${violations.length === 0 ? 'hold' : `${violations.length} VIOLATED: ${violations.map((v) => `${v.rule}: ${v.detail}`).join('; ')}`}`,
    ].join('\n'),
  );
  return onlyRefusals && oneBooking && violations.length === 0 ? 0 : 1;
}

try {
  process.exitCode = await main();
} finally {
  await scaffold.cleanUp();
}
