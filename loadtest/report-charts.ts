import type { LoadResult } from './result.js';
import { barChart, lineChart } from './svg-charts.js';

export interface Chart {
  /** File name stem for --charts-dir. */
  name: string;
  title: string;
  svg: string;
}

const COLORS = { confirmed: '#2e7d32', failed: '#c62828', p50: '#1565c0', p90: '#ef6c00', p99: '#6a1b9a', max: '#9e9e9e', seats: '#00838f' };
const OUTCOME_COLORS = ['#c62828', '#ef6c00', '#f9a825', '#6a1b9a', '#5d4037', '#455a64', '#ad1457', '#283593'];
/** The p99 target for seed-002 (docs/experiments.md). */
const P99_TARGET_MS = 250;

/** "100–150" in ms, "1.5–2s" once the bin reaches a second. */
const binLabel = (from: number, to: number) => {
  if (!Number.isFinite(to)) return `≥${from / 1000}s`;
  return to >= 1000 ? `${from / 1000}–${to / 1000}s` : `${from}–${to}`;
};

/** The report's five charts, drawn from a run's result. */
export function reportCharts(result: LoadResult): Chart[] {
  const charts: Chart[] = [];
  const bins = result.latencyBins;
  charts.push({
    name: 'latency-histogram',
    title: 'Latency histogram',
    svg: barChart({
      title: 'Booking latency: bookings per latency bin',
      xLabel: 'latency (ms; s where marked)',
      yLabel: 'bookings',
      categories: bins.map((bin) => binLabel(bin.fromMs, bin.toMs)),
      series: [
        { name: 'confirmed', color: COLORS.confirmed, values: bins.map((bin) => bin.confirmed) },
        { name: 'not confirmed', color: COLORS.failed, values: bins.map((bin) => bin.failed) },
      ],
    }),
  });
  const buckets = result.timeline.filter((bucket) => bucket.confirmed + bucket.failed > 0);
  charts.push({
    name: 'latency-over-time',
    title: 'Latency over time',
    svg: lineChart({
      title: 'Booking latency over time (bookings ending in each second)',
      xLabel: 'seconds since the load started',
      yLabel: 'latency (ms, log scale)',
      logY: true,
      series: [
        { name: 'p50', color: COLORS.p50, points: buckets.map((b) => [b.second + b.widthSeconds / 2, b.p50Ms] as const) },
        { name: 'p90', color: COLORS.p90, points: buckets.map((b) => [b.second + b.widthSeconds / 2, b.p90Ms] as const) },
        { name: 'p99', color: COLORS.p99, points: buckets.map((b) => [b.second + b.widthSeconds / 2, b.p99Ms] as const) },
      ],
      guides: [{ y: P99_TARGET_MS, label: `${P99_TARGET_MS} ms` }],
    }),
  });
  charts.push({
    name: 'throughput-over-time',
    title: 'Throughput over time',
    svg: lineChart({
      title: 'Throughput: bookings answered per second',
      xLabel: 'seconds since the load started',
      yLabel: 'bookings / s',
      series: [
        { name: 'confirmed', color: COLORS.confirmed, points: result.timeline.map((b) => [b.second + b.widthSeconds / 2, b.confirmed / b.widthSeconds] as const) },
        { name: 'not confirmed', color: COLORS.failed, points: result.timeline.map((b) => [b.second + b.widthSeconds / 2, b.failed / b.widthSeconds] as const) },
      ],
    }),
  });
  const reasons = Object.entries(result.bookings.failedByReason);
  charts.push({
    name: 'outcomes',
    title: 'Outcomes',
    svg: barChart({
      title: 'Outcomes of the booking attempts',
      xLabel: 'final outcome',
      yLabel: 'bookings',
      categories: ['confirmed', ...reasons.map(([reason]) => reason)],
      series: [{ name: 'bookings', color: COLORS.confirmed, values: [result.bookings.confirmed, ...reasons.map(([, count]) => count)] }],
      barColors: [COLORS.confirmed, ...reasons.map((_, i) => OUTCOME_COLORS[i % OUTCOME_COLORS.length] ?? COLORS.failed)],
    }),
  });
  const filled = result.seatsFilled.map((point) => [point.t / 1000, point.sold] as const);
  const end = (result.loadMs || 1) / 1000;
  charts.push({
    name: 'seats-filled',
    title: 'Seats filled over time',
    svg: lineChart({
      title: `Seats sold over time (main events, capacity ${result.sellOut.capacity})`,
      xLabel: 'seconds since the load started',
      yLabel: 'seats sold',
      series: [{ name: 'seats sold', color: COLORS.seats, step: true, points: [...filled, [end, filled[filled.length - 1]?.[1] ?? 0] as const] }],
      guides: [{ y: result.sellOut.capacity, label: 'capacity', color: '#555' }],
    }),
  });
  return charts;
}
