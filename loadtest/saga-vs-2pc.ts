/**
 * `npm run experiment:saga-vs-2pc [-- --quick] [--out-dir docs/experiments]`: the saga and two-phase
 * commit on identical workloads, side by side (docs/saga-vs-2pc.md). Starts a stack of its own with
 * booking, payments and ticketing in three databases, runs every cell of the matrix once per
 * protocol with the same seed, and writes one comparison: saga-vs-2pc.md (tables), .json (figures)
 * and SVG charts. Every run ends with the invariant check; the exit code is 1 if any failed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { experimentEnv, startExperimentStack } from './experiment-stack.js';
import { resolveOptions, type LoadOptions } from './options.js';
import { exitCodeOf, type LoadResult } from './result.js';
import { runLoad } from './run.js';
import { barChart } from './svg-charts.js';

interface Cell {
  name: string;
  load: 'high' | 'small';
  workload: 'uncontended' | 'hot-seat' | 'sellout';
  payments: 'ok' | 'declines' | 'slow';
  options: Partial<LoadOptions>;
}

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'out-dir': { type: 'string', default: 'docs/experiments' },
    seconds: { type: 'string' },
  },
});
const seconds = Number(values.seconds ?? (values.quick ? 3 : 8));

/** The matrix: load × workload × payments, plus a sell-out race. */
function cells(): Cell[] {
  const room = { type: 'reserved', rows: 20, seatsPerRow: 25 } as const;
  const loads = { high: { connections: 40, customers: 20 }, small: { connections: 4, customers: 4 } } as const;
  const workloads = {
    uncontended: { contention: 'random', seatsPerRequest: { min: 1, max: 1 } },
    'hot-seat': { contention: 'hot', hotSeats: 4, seatsPerRequest: { min: 1, max: 2 } },
  } as const;
  const payments = { ok: {}, declines: { paymentFailureRate: 0.2 }, slow: { slowPaymentRate: 0.2 } } as const;
  const list: Cell[] = [];
  for (const load of ['high', 'small'] as const) {
    for (const workload of ['uncontended', 'hot-seat'] as const) {
      for (const payment of ['ok', 'declines', 'slow'] as const) {
        list.push({
          name: `${load} load, ${workload}, ${payment === 'ok' ? 'payments ok' : payment === 'declines' ? '20% declined' : '20% slow (2 s)'}`,
          load,
          workload,
          payments: payment,
          options: { ...loads[load], ...workloads[workload], ...payments[payment], seating: room, events: 1, durationMs: seconds * 1000, untilSoldOut: false },
        });
      }
    }
  }
  list.push({
    name: 'sell-out: 500 seats, 40 connections, 2 seats a booking',
    load: 'high',
    workload: 'sellout',
    payments: 'ok',
    options: { scenario: 'sellout', ...(values.quick ? { seating: { type: 'reserved', rows: 5, seatsPerRow: 20 } } : {}) },
  });
  return list;
}

interface Row {
  cell: string;
  protocol: 'saga' | '2pc';
  ok: boolean;
  requests: number;
  confirmed: number;
  confirmedPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  failedByReason: Record<string, number>;
  soldOutAfterMs?: number;
  seatLockWaitP99Ms: number;
  seatLockWaitTotalMs: number;
  maxLocksWaiting: number;
  halfDoneReservations: number;
  halfDoneP50Ms: number;
  halfDoneP99Ms: number;
  halfDoneTotalMs: number;
  rowsLockedP50Ms?: number;
  rowsLockedP99Ms?: number;
  twoPhaseLockWaitP99Ms?: number;
}

function rowOf(cell: Cell, protocol: 'saga' | '2pc', result: LoadResult): Row {
  const b = result.bookings;
  const c = result.contention;
  return {
    cell: cell.name,
    protocol,
    ok: exitCodeOf(result) === 0,
    requests: b.requests,
    confirmed: b.confirmed,
    confirmedPerSecond: b.confirmedPerSecond,
    p50Ms: b.latency.p50Ms,
    p90Ms: b.latency.p90Ms,
    p99Ms: b.latency.p99Ms,
    maxMs: b.latency.maxMs,
    failedByReason: b.failedByReason,
    ...(result.sellOut.soldOutAtMs !== undefined ? { soldOutAfterMs: result.sellOut.soldOutAtMs } : {}),
    seatLockWaitP99Ms: c.seatLocks.wait.p99Ms,
    seatLockWaitTotalMs: c.seatLocks.waitTotalMs,
    maxLocksWaiting: c.lockWaits.maxWaiting,
    halfDoneReservations: c.intermediateStates.reservations,
    halfDoneP50Ms: c.intermediateStates.visible.p50Ms,
    halfDoneP99Ms: c.intermediateStates.visible.p99Ms,
    halfDoneTotalMs: c.intermediateStates.visibleTotalMs,
    ...(c.twoPhase ? { rowsLockedP50Ms: c.twoPhase.lockHeld.p50Ms, rowsLockedP99Ms: c.twoPhase.lockHeld.p99Ms, twoPhaseLockWaitP99Ms: c.twoPhase.lockWait.p99Ms } : {}),
  };
}

const ms = (value: number | undefined) => (value === undefined ? '—' : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`);
const failures = (byReason: Record<string, number>) =>
  Object.entries(byReason)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ') || '—';

function markdown(rows: Row[], started: string, tookMs: number): string {
  const lines = [
    '# Saga vs two-phase commit: results',
    '',
    `Generated by \`npm run experiment:saga-vs-2pc\` on ${started} (${Math.round(tookMs / 1000)} s), ${seconds} s per run, one stack on this machine with booking, payments and ticketing in three Postgres databases. Method and conclusions: [docs/saga-vs-2pc.md](../saga-vs-2pc.md).`,
    '',
    '| workload | protocol | confirmed/s | p50 | p99 | max | not confirmed | sold out after | seat-lock wait p99 (sum) | half-done states seen (p50 / p99) | rows locked (p50 / p99) | invariants |',
    '|---|---|---:|---:|---:|---:|---|---:|---:|---|---|---|',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.cell} | ${row.protocol} | ${row.confirmedPerSecond} | ${ms(row.p50Ms)} | ${ms(row.p99Ms)} | ${ms(row.maxMs)} | ${failures(row.failedByReason)} | ${ms(row.soldOutAfterMs)} | ${ms(row.seatLockWaitP99Ms)} (${ms(row.seatLockWaitTotalMs)}) | ${row.halfDoneReservations ? `${row.halfDoneReservations}: ${ms(row.halfDoneP50Ms)} / ${ms(row.halfDoneP99Ms)}` : 'none'} | ${row.rowsLockedP50Ms !== undefined ? `${ms(row.rowsLockedP50Ms)} / ${ms(row.rowsLockedP99Ms)}` : '—'} | ${row.ok ? 'OK' : 'FAILED'} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function charts(rows: Row[]): { name: string; svg: string }[] {
  const cellsShown = [...new Set(rows.map((row) => row.cell))];
  const pairs = cellsShown.flatMap((cell) => (['saga', '2pc'] as const).map((protocol) => rows.find((row) => row.cell === cell && row.protocol === protocol)));
  const categories = pairs.map((row) => (row ? `${row.protocol}` : ''));
  const colors = pairs.map((row) => (row?.protocol === '2pc' ? '#ef6c00' : '#1565c0'));
  const short = cellsShown.map((cell, i) => `${i + 1}. ${cell}`).join('; ');
  const chart = (name: string, title: string, yLabel: string, value: (row: Row) => number) => ({
    name,
    svg: barChart({
      title,
      xLabel: `pairs per workload (blue saga, orange 2PC): ${short}`.slice(0, 160),
      yLabel,
      categories: categories.map((label, i) => `${Math.floor(i / 2) + 1}${label === '2pc' ? 'b' : 'a'}`),
      series: [{ name: yLabel, color: '#1565c0', values: pairs.map((row) => (row ? value(row) : 0)) }],
      barColors: colors,
      width: 960,
    }),
  });
  return [
    chart('saga-vs-2pc-throughput', 'Confirmed bookings per second (a = saga, b = 2PC)', 'bookings/s', (row) => row.confirmedPerSecond),
    chart('saga-vs-2pc-p99', 'Booking latency p99 in ms (a = saga, b = 2PC)', 'ms', (row) => row.p99Ms),
    chart('saga-vs-2pc-lock-waits', 'Seat-lock wait p99 in ms, waiting behind other transactions included (a = saga, b = 2PC)', 'ms', (row) => row.seatLockWaitP99Ms),
    chart('saga-vs-2pc-exposure', 'Saga: half-done states readers saw (p99 ms) vs 2PC: seat rows locked (p99 ms)', 'ms', (row) => (row.protocol === 'saga' ? row.halfDoneP99Ms : (row.rowsLockedP99Ms ?? 0))),
  ];
}

const started = new Date();
const stack = await startExperimentStack(experimentEnv('compare', { api: 3310, temporal: 7263, ui: 8263 }), (line) => console.error(`[experiment] ${line}`));
const rows: Row[] = [];
try {
  for (const cell of cells()) {
    for (const protocol of ['saga', '2pc'] as const) {
      const options = resolveOptions({ ...cell.options, protocol, baseUrl: stack.baseUrl, seed: 7, progress: 'off', settleTimeoutMs: 120_000 });
      const result = await runLoad(options, { stores: stack.storeSqls, temporal: stack.temporal, log: (line) => console.error(`[experiment] ${line}`) });
      const row = rowOf(cell, protocol, result);
      rows.push(row);
      console.error(
        `[experiment] ${cell.name} / ${protocol}: ${row.confirmedPerSecond}/s, p50 ${ms(row.p50Ms)}, p99 ${ms(row.p99Ms)}, seat-lock wait p99 ${ms(row.seatLockWaitP99Ms)}, half-done ${row.halfDoneReservations}, rows locked p99 ${ms(row.rowsLockedP99Ms)}${row.ok ? '' : ' — INVARIANTS FAILED'}`,
      );
      if (!row.ok) for (const problem of [...result.settle.problems, ...result.verification.problems].slice(0, 10)) console.error(`  - ${problem}`);
    }
  }
} finally {
  await stack.stop();
}

const outDir = values['out-dir'];
await mkdir(outDir, { recursive: true });
await writeFile(path.join(outDir, 'saga-vs-2pc.json'), JSON.stringify({ startedAt: started.toISOString(), secondsPerRun: seconds, rows }, null, 1));
await writeFile(path.join(outDir, 'saga-vs-2pc.md'), markdown(rows, started.toISOString(), Date.now() - started.getTime()));
for (const chart of charts(rows)) await writeFile(path.join(outDir, `${chart.name}.svg`), chart.svg);
console.log(markdown(rows, started.toISOString(), Date.now() - started.getTime()));
console.log(`Written: ${outDir}/saga-vs-2pc.{md,json} and ${outDir}/saga-vs-2pc-*.svg`);
process.exitCode = rows.every((row) => row.ok) ? 0 : 1;
