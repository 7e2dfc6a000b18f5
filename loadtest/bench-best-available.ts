/**
 * `npm run bench:best-available`: what letting the house pick the seats costs (issue 15, item 2).
 * On a Temporal dev server and a scratch database of its own, with the real API, worker and
 * projection as child processes (loadtest/ceiling/stack.ts), each round puts 40 buyers at once on
 * a fresh 12 × 10 room, parties of 2 and 3 (100 seats), each paying at once:
 *   A: `{ quantity, bestAvailable: true }`, the seat-lock picks;
 *   B: the same parties naming their seats, a tiling chosen in advance so that nobody collides
 *      (the cheapest explicit load: no refusals, no retries).
 * A then B, several times, after one unmeasured round of each; prints each round, the medians and
 * their ratios, and ends with the invariant check of every room (exit 1 on a violation).
 * BEST_AVAILABLE_CLAIM=event-lock runs A with the per-event lock instead of SKIP LOCKED rounds. The
 * machine is shared: compare A and B of one run, not figures across runs. See docs/performance.md.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Reservation } from '../api/contract/index.js';
import { storeSqls } from '../db/client.js';
import { checkInvariants } from '../db/invariants.js';
import { countStranded, roomOf } from '../lib/best-available.js';
import { parseSeatId, seatId } from '../lib/seating.js';
import { benchScaffold, fixed, median, startOwnStack } from './bench-scaffold.js';
import { resolveOptions } from './options.js';
import { createEvent, organizerAccount, provisionCustomers } from './setup.js';

const TEMPORAL_PORT = Number(process.env.BENCH_TEMPORAL_PORT ?? 7441);
const API_PORT = Number(process.env.BENCH_API_PORT ?? 7451);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BUYERS = 40;
/** The worker's BEST_AVAILABLE_CLAIM for this run (run the bench once per mode to compare them). */
const claimMode = process.env.BEST_AVAILABLE_CLAIM === 'event-lock' ? 'event-lock' : 'skip-locked';
const ROOM = { type: 'reserved', rows: 12, seatsPerRow: 10 } as const;
/** Parties of 2 and 3 in turn: 100 of the 120 seats, and rows of 10 tile as 2 + 3 + 2 + 3. */
const sizes = Array.from({ length: BUYERS }, (_, i) => 2 + (i % 2));
const WATCHDOG_MS = 15 * 60_000;

const log = (line: string) => console.error(`[bench:best-available] ${line}`);
const scaffold = benchScaffold('best-available', WATCHDOG_MS, log);

/** B's seats: the parties laid row by row, front to back, so that no two ask for the same seat. */
function tiling(): string[][] {
  let row = 0;
  let next = 1;
  return sizes.map((n) => {
    if (next + n - 1 > ROOM.seatsPerRow) {
      row++;
      next = 1;
    }
    const seats = Array.from({ length: n }, (_, i) => seatId(row, next + i));
    next += n;
    return seats;
  });
}

type Mode = 'best-available' | 'explicit';
interface Round {
  mode: Mode;
  eventId: string;
  confirmed: number;
  /** 202: not settled within RESERVATION_WAIT_MS (the machine was too busy); not counted as booked. */
  pending: number;
  refused: number;
  elapsedMs: number;
  perSecond: number;
  p50Ms: number;
  maxMs: number;
  /** Best available: parties not seated together in one row, and stranded seats left. */
  split: number;
  stranded: number;
}

function together(seats: readonly string[]): boolean {
  const parsed = seats.map(parseSeatId);
  const numbers = parsed.map((seat) => seat?.number ?? 0).sort((a, b) => a - b);
  return new Set(parsed.map((seat) => seat?.row)).size === 1 && numbers.every((n, i) => i === 0 || n === (numbers[i - 1] ?? 0) + 1);
}

async function main(): Promise<number> {
  const { stack, api, stores } = await startOwnStack(scaffold, { temporalPort: TEMPORAL_PORT, apiPort: API_PORT, maxSockets: BUYERS, env: { BEST_AVAILABLE_CLAIM: claimMode }, log });

  const runId = `bench-${Date.now().toString(36)}`;
  const organizer = await organizerAccount(api, resolveOptions({ baseUrl: stack.baseUrl, organizer: 'new' }), runId);
  const buyers = await provisionCustomers(api, stores.shared.sql, BUYERS, runId);
  const explicitSeats = tiling();

  async function round(mode: Mode, index: number): Promise<Round> {
    const eventId = await createEvent(api, organizer, ROOM, `Best available bench ${runId} ${mode} ${index}`);
    const started = performance.now();
    const answers = await Promise.all(
      buyers.map(async (buyer, i) => {
        const body = mode === 'best-available' ? { eventId, quantity: sizes[i], bestAvailable: true, paymentToken: 'tok_visa' } : { eventId, seats: explicitSeats[i], paymentToken: 'tok_visa' };
        const sent = performance.now();
        const answer = await api.post<Reservation>('/api/reservations', body, buyer.token);
        return { answer, latencyMs: performance.now() - sent };
      }),
    );
    const elapsedMs = performance.now() - started;
    const confirmed = answers.filter(({ answer }) => answer.status === 201 && answer.body.status === 'confirmed');
    const seats = confirmed.flatMap(({ answer }) => answer.body.seats ?? []);
    const latencies = answers.map((a) => a.latencyMs);
    return {
      mode,
      eventId,
      confirmed: confirmed.length,
      pending: answers.filter(({ answer }) => answer.status === 202).length,
      refused: answers.filter(({ answer }) => answer.status !== 202 && !(answer.status === 201 && answer.body.status === 'confirmed')).length,
      elapsedMs,
      perSecond: confirmed.length / (elapsedMs / 1000),
      p50Ms: median(latencies),
      maxMs: Math.max(...latencies),
      split: confirmed.filter(({ answer }) => !together(answer.body.seats ?? [])).length,
      stranded: countStranded(roomOf(ROOM, seats)),
    };
  }

  log('warm-up: one round of each, unmeasured');
  const warmA = await round('best-available', 0);
  const warmB = await round('explicit', 0);
  const rounds: Round[] = [];
  for (let i = 1; i <= ROUNDS; i++) {
    for (const mode of ['best-available', 'explicit'] as const) {
      const result = await round(mode, i);
      rounds.push(result);
      log(`round ${i} ${mode}: ${result.confirmed} confirmed in ${fixed(result.elapsedMs, 0)} ms (${fixed(result.perSecond)}/s), p50 ${fixed(result.p50Ms, 0)} ms, max ${fixed(result.maxMs, 0)} ms`);
    }
  }

  const eventIds = [warmA, warmB, ...rounds].map((r) => r.eventId);
  const violations = await checkInvariants(storeSqls(stores), { eventIds, settled: true });
  const of = (mode: Mode) => rounds.filter((r) => r.mode === mode);
  const summary = (mode: Mode) => {
    const mine = of(mode);
    return { perSecond: median(mine.map((r) => r.perSecond)), p50Ms: median(mine.map((r) => r.p50Ms)), maxMs: median(mine.map((r) => r.maxMs)), pending: mine.reduce((s, r) => s + r.pending, 0), refused: mine.reduce((s, r) => s + r.refused, 0), split: mine.reduce((s, r) => s + r.split, 0), stranded: mine.reduce((s, r) => s + r.stranded, 0) };
  };
  const a = summary('best-available');
  const b = summary('explicit');
  console.log(
    [
      '',
      `bench:best-available — ${new Date().toISOString()}, ${os.cpus().length} cores, load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')} at the end`,
      `${BUYERS} buyers at once on a fresh 12 × 10 room per round (parties of 2 and 3, 100 seats, paid at once); A then B, ${ROUNDS} rounds each after one unmeasured round of each; BEST_AVAILABLE_CLAIM=${claimMode}.`,
      '| round | mode | confirmed | pending (202) | refused | elapsed ms | bookings/s | p50 ms | max ms |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rounds.map((r, i) => `| ${Math.floor(i / 2) + 1} | ${r.mode} | ${r.confirmed} | ${r.pending} | ${r.refused} | ${fixed(r.elapsedMs, 0)} | ${fixed(r.perSecond)} | ${fixed(r.p50Ms, 0)} | ${fixed(r.maxMs, 0)} |`),
      '',
      `A best available: median ${fixed(a.perSecond)} bookings/s, median p50 ${fixed(a.p50Ms, 0)} ms, median max ${fixed(a.maxMs, 0)} ms; ${a.pending} pending, ${a.refused} refused, ${a.split} parties split, ${a.stranded} seats stranded over all rounds`,
      `B explicit seats: median ${fixed(b.perSecond)} bookings/s, median p50 ${fixed(b.p50Ms, 0)} ms, median max ${fixed(b.maxMs, 0)} ms; ${b.pending} pending, ${b.refused} refused`,
      `ratios A/B: throughput ${fixed(a.perSecond / b.perSecond, 2)}, p50 latency ${fixed(a.p50Ms / b.p50Ms, 2)}, max latency ${fixed(a.maxMs / b.maxMs, 2)}`,
      `invariants over the ${eventIds.length} rooms: ${violations.length === 0 ? 'hold' : `${violations.length} VIOLATED: ${violations.map((v) => `${v.rule}: ${v.detail}`).join('; ')}`}`,
    ].join('\n'),
  );
  return violations.length === 0 && a.refused === 0 && b.refused === 0 ? 0 : 1;
}

try {
  process.exitCode = await main();
} finally {
  await scaffold.cleanUp();
}
