import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ContentionReport } from './contention.js';
import type { LoadResult } from './result.js';
import { describeRun } from './summary-table.js';

/** Results written before the contention figures existed have none. */
const contentionOf = (result: LoadResult): ContentionReport | undefined => (result as Partial<LoadResult>).contention;

type Figure = { label: string; value: (result: LoadResult) => number | undefined; unit: string; higherIsBetter: boolean };

const figures: Figure[] = [
  { label: 'confirmed bookings/s', value: (r) => r.bookings.confirmedPerSecond, unit: '/s', higherIsBetter: true },
  { label: 'seats/s', value: (r) => r.bookings.seatsPerSecond, unit: '/s', higherIsBetter: true },
  { label: 'requests/s', value: (r) => r.bookings.requestsPerSecond, unit: '/s', higherIsBetter: true },
  { label: 'booking attempts', value: (r) => r.bookings.requests, unit: '', higherIsBetter: true },
  { label: 'confirmed', value: (r) => r.bookings.confirmed, unit: '', higherIsBetter: true },
  { label: 'latency mean', value: (r) => r.bookings.latency.meanMs, unit: 'ms', higherIsBetter: false },
  { label: 'latency std dev', value: (r) => r.bookings.latency.stdDevMs, unit: 'ms', higherIsBetter: false },
  { label: 'latency p50', value: (r) => r.bookings.latency.p50Ms, unit: 'ms', higherIsBetter: false },
  { label: 'latency p90', value: (r) => r.bookings.latency.p90Ms, unit: 'ms', higherIsBetter: false },
  { label: 'latency p99', value: (r) => r.bookings.latency.p99Ms, unit: 'ms', higherIsBetter: false },
  { label: 'latency max', value: (r) => r.bookings.latency.maxMs, unit: 'ms', higherIsBetter: false },
  { label: 'sold out after', value: (r) => (r.sellOut.soldOutAtMs === undefined ? undefined : r.sellOut.soldOutAtMs / 1000), unit: 's', higherIsBetter: false },
  { label: 'answered 202', value: (r) => r.bookings.answeredPending, unit: '', higherIsBetter: false },
  { label: 'API max RSS', value: (r) => (r.apiMemory.maxRssBytes === undefined ? undefined : r.apiMemory.maxRssBytes / 1048576), unit: 'MiB', higherIsBetter: false },
  { label: 'seat-lock wait p99', value: (r) => contentionOf(r)?.seatLocks.wait.p99Ms, unit: 'ms', higherIsBetter: false },
  { label: 'seat-lock wait, sum', value: (r) => (contentionOf(r) ? contentionOf(r)!.seatLocks.waitTotalMs / 1000 : undefined), unit: 's', higherIsBetter: false },
  { label: 'half-done, readers saw', value: (r) => contentionOf(r)?.intermediateStates.reservations, unit: '', higherIsBetter: false },
  { label: 'half-done p50', value: (r) => contentionOf(r)?.intermediateStates.visible.p50Ms, unit: 'ms', higherIsBetter: false },
  { label: 'half-done p99', value: (r) => contentionOf(r)?.intermediateStates.visible.p99Ms, unit: 'ms', higherIsBetter: false },
  { label: 'rows locked p50 (2PC)', value: (r) => contentionOf(r)?.twoPhase?.lockHeld.p50Ms, unit: 'ms', higherIsBetter: false },
  { label: 'rows locked p99 (2PC)', value: (r) => contentionOf(r)?.twoPhase?.lockHeld.p99Ms, unit: 'ms', higherIsBetter: false },
  { label: 'invariant problems', value: (r) => r.verification.problems.length + r.settle.problems.length, unit: '', higherIsBetter: false },
];

const show = (value: number | undefined, unit: string) => (value === undefined ? '—' : `${+value.toFixed(1)}${unit && unit !== '/s' ? ` ${unit}` : unit}`);

/** Two runs side by side: each figure, the difference and the change in percent (+ better, - worse). */
export function compareResults(a: LoadResult, b: LoadResult, names: [string, string] = ['A', 'B']): string {
  const lines = [`A: ${names[0]} — ${describeRun(a)}`, `B: ${names[1]} — ${describeRun(b)}`, ''];
  const width = 22;
  lines.push(`${'figure'.padEnd(width)}${'A'.padStart(14)}${'B'.padStart(14)}${'B - A'.padStart(14)}${'change'.padStart(14)}`);
  for (const figure of figures) {
    const va = figure.value(a);
    const vb = figure.value(b);
    let delta = '—';
    let change = '';
    if (va !== undefined && vb !== undefined) {
      delta = `${vb - va >= 0 ? '+' : ''}${+(vb - va).toFixed(1)}`;
      if (va !== 0) {
        const percent = ((vb - va) / Math.abs(va)) * 100;
        const better = figure.higherIsBetter ? percent > 0 : percent < 0;
        change = `${percent >= 0 ? '+' : ''}${percent.toFixed(1)}%${Math.abs(percent) < 0.05 ? '' : better ? ' ▲' : ' ▼'}`;
      }
    }
    lines.push(`${figure.label.padEnd(width)}${show(va, figure.unit).padStart(14)}${show(vb, figure.unit).padStart(14)}${delta.padStart(14)}${change.padStart(14)}`);
  }
  const reasons = [...new Set([...Object.keys(a.bookings.failedByReason), ...Object.keys(b.bookings.failedByReason)])];
  if (reasons.length) {
    lines.push('', 'not confirmed, by reason');
    for (const reason of reasons) lines.push(`  ${reason.padEnd(width - 2)}${String(a.bookings.failedByReason[reason] ?? 0).padStart(14)}${String(b.bookings.failedByReason[reason] ?? 0).padStart(14)}`);
  }
  lines.push('', '▲ better, ▼ worse (for the figure\'s own direction)');
  return lines.join('\n');
}

async function readResult(file: string): Promise<LoadResult> {
  const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<LoadResult>;
  if (parsed.version !== 1 || !parsed.bookings) throw new Error(`${file} is not a result of npm run loadtest -- --out`);
  return parsed as LoadResult;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [fileA, fileB] = process.argv.slice(2);
  if (!fileA || !fileB) {
    console.error('Usage: npm run loadtest:compare -- a.json b.json');
    process.exitCode = 2;
  } else {
    console.log(compareResults(await readResult(fileA), await readResult(fileB), [fileA, fileB]));
  }
}
