/**
 * `npm run experiment:saga-vs-2pc [-- --quick] [--out-dir docs/experiments]`: the saga and two-phase
 * commit on identical workloads, side by side (docs/saga-vs-2pc.md). Starts a stack of its own with
 * booking, payments and ticketing in three databases, runs every cell of the matrix once per
 * protocol with the same seed, and writes one comparison: saga-vs-2pc.md (tables), .json (figures)
 * and SVG charts. Every run ends with the invariant check; the exit code is 1 if any failed.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseNumber, settingsFromCommandLine, switchFlag, textFlag, type Flag } from './cli-flags.js';
import { experimentEnv, startExperimentStack } from './experiment-stack.js';
import { resolveOptions, type LoadOptions } from './options.js';
import { exitCodeOf, type LoadResult } from './result.js';
import { runLoad } from './run.js';
import { charts, markdown, ms, type Row } from './saga-vs-2pc-report.js';

interface Cell {
  name: string;
  load: 'high' | 'small';
  workload: 'uncontended' | 'hot-seat' | 'sellout';
  payments: 'ok' | 'declines' | 'slow' | 'gateway-outages';
  /** Cells that need the worker configured otherwise run on a stack of their own. */
  stack: 'steady' | 'flaky-gateway';
  options: Partial<LoadOptions>;
}

/** The worker settings of each stack: the flaky one's gateway fails 20% of calls, transiently. */
const stackEnvs: Record<Cell['stack'], Record<string, string>> = { steady: {}, 'flaky-gateway': { PAYMENT_FAILURE_RATE: '0.2', PAYMENT_BREAKER_THRESHOLD: '1000' } };

interface ExperimentSettings {
  quick: boolean;
  outDir: string;
  seconds?: number;
  reportOnly?: string;
}
const flags: readonly Flag<ExperimentSettings>[] = [
  switchFlag('quick', 'quick', 'shorter runs and a smaller sell-out room'),
  textFlag('out-dir', 'outDir', 'DIR', 'where saga-vs-2pc.md, .json and the charts go'),
  {
    kind: 'value',
    name: 'seconds',
    placeholder: 'N',
    description: 'length of each fixed-length run (default 3 with --quick, else 8)',
    set: (into, text, flag) => (into.seconds = parseNumber(text, flag)),
    check: ({ seconds }) => (seconds === undefined || seconds > 0 ? undefined : '--seconds must be positive'),
  },
  textFlag('report-only', 'reportOnly', 'FILE.json', 'redraw the tables and charts from a saga-vs-2pc.json already written, without running anything'),
];
const values = settingsFromCommandLine<ExperimentSettings>(flags, { quick: false, outDir: 'docs/experiments' }, 'Usage: npm run experiment:saga-vs-2pc -- [options]\n\nThe saga and two-phase commit on identical workloads, side by side.');
const seconds = values.seconds ?? (values.quick ? 3 : 8);

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
          stack: 'steady',
          options: { ...loads[load], ...workloads[workload], ...payments[payment], seating: room, events: 1, durationMs: seconds * 1000, untilSoldOut: false },
        });
      }
    }
  }
  // Transient gateway failures: the saga retries the charge with the seats held; 2PC aborts the
  // whole transaction, releasing the seats, and retries it as a new one.
  for (const load of ['high', 'small'] as const) {
    for (const workload of ['uncontended', 'hot-seat'] as const) {
      list.push({
        name: `${load} load, ${workload}, gateway fails 20% of calls (retried)`,
        load,
        workload,
        payments: 'gateway-outages',
        stack: 'flaky-gateway',
        options: { ...loads[load], ...workloads[workload], seating: room, events: 1, durationMs: seconds * 1000, untilSoldOut: false },
      });
    }
  }
  list.push({
    name: 'sell-out: 500 seats, 40 connections, 2 seats a booking',
    load: 'high',
    workload: 'sellout',
    payments: 'ok',
    stack: 'steady',
    options: { scenario: 'sellout', ...(values.quick ? { seating: { type: 'reserved', rows: 5, seatsPerRow: 20 } } : {}) },
  });
  return list;
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
    halfDoneReservations: c.intermediateStates.reservations,
    halfDoneP50Ms: c.intermediateStates.visible.p50Ms,
    halfDoneP99Ms: c.intermediateStates.visible.p99Ms,
    halfDoneTotalMs: c.intermediateStates.visibleTotalMs,
    ...(c.twoPhase ? { rowsLockedP50Ms: c.twoPhase.lockHeld.p50Ms, rowsLockedP99Ms: c.twoPhase.lockHeld.p99Ms } : {}),
  };
}

async function writeReport(rows: Row[], startedAt: string, tookMs: number, secondsPerRun: number): Promise<void> {
  const outDir = values.outDir;
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, 'saga-vs-2pc.json'), JSON.stringify({ startedAt, tookMs, secondsPerRun, rows }, null, 1));
  await writeFile(path.join(outDir, 'saga-vs-2pc.md'), markdown(rows, startedAt, tookMs, secondsPerRun));
  for (const chart of charts(rows)) await writeFile(path.join(outDir, `${chart.name}.svg`), chart.svg);
  console.log(markdown(rows, startedAt, tookMs, secondsPerRun));
  console.log(`Written: ${outDir}/saga-vs-2pc.{md,json} and ${outDir}/saga-vs-2pc-*.svg`);
}

if (values.reportOnly) {
  const saved = JSON.parse(await readFile(values.reportOnly, 'utf8')) as { startedAt: string; tookMs?: number; secondsPerRun: number; rows: Row[] };
  await writeReport(saved.rows, saved.startedAt, saved.tookMs ?? 0, saved.secondsPerRun);
  process.exit(0);
}

const started = new Date();
const rows: Row[] = [];
for (const stackName of ['steady', 'flaky-gateway'] as const) {
  const stackCells = cells().filter((cell) => cell.stack === stackName);
  const stack = await startExperimentStack(experimentEnv(`compare_${stackName.replace('-', '_')}`, { api: 3310, temporal: 7263, ui: 8263 }, stackEnvs[stackName]), (line) =>
    console.error(`[experiment] ${line}`),
  );
  try {
    for (const cell of stackCells) {
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
}

await writeReport(rows, started.toISOString(), Date.now() - started.getTime(), seconds);
process.exitCode = rows.every((row) => row.ok) ? 0 : 1;
