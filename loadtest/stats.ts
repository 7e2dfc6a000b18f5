import hdr from 'hdr-histogram-js';
import type { RequestKind, RequestRecord } from './records.js';

export interface LatencyStats {
  count: number;
  meanMs: number;
  stdDevMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Latencies are recorded in microseconds: three significant digits keep p99 exact to 0.1%. */
export function latencyStats(latenciesMs: readonly number[]): LatencyStats {
  if (latenciesMs.length === 0) return { count: 0, meanMs: 0, stdDevMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0 };
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  try {
    for (const ms of latenciesMs) histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
    const ms = (us: number) => Math.round(us / 10) / 100;
    // A percentile is reported as its bucket's upper bound, which can pass the exact maximum.
    const percentile = (p: number) => ms(Math.min(histogram.getValueAtPercentile(p), histogram.maxValue));
    return {
      count: histogram.totalCount,
      meanMs: ms(histogram.mean),
      stdDevMs: ms(histogram.stdDeviation),
      p50Ms: percentile(50),
      p90Ms: percentile(90),
      p99Ms: percentile(99),
      maxMs: ms(histogram.maxValue),
    };
  } finally {
    histogram.destroy();
  }
}

export interface BookingSummary {
  /** Booking attempts (one POST /api/reservations each, with its follow-ups). */
  requests: number;
  confirmed: number;
  /** Every attempt that did not confirm, by reason: confirmed + the sum of these = requests. */
  failedByReason: Record<string, number>;
  /** Final HTTP status of each attempt. */
  byStatus: Record<string, number>;
  /** Attempts first answered 202 pending, then followed until they settled. */
  answeredPending: number;
  /** HTTP calls that repeated an earlier one (same Idempotency-Key) or polled again after no answer, a 5xx or a 429. */
  retries: number;
  /** Attempts that needed at least one such retry. */
  retriedBookings: number;
  /** Attempts whose outcome was still unknown after settling: a fault lost them as far as the client can tell. */
  unresolved: number;
  seatsConfirmed: number;
  /** From the first booking sent to the last answer of the load. */
  elapsedSeconds: number;
  confirmedPerSecond: number;
  requestsPerSecond: number;
  seatsPerSecond: number;
  latency: LatencyStats;
  confirmedLatency: LatencyStats;
  failedLatency: LatencyStats;
  /**
   * Lost races (409 `seats_unavailable` or `sold_out`) split by who said no: the API before any
   * workflow (the answer names no reservation), or a workflow's seat-lock (it names the failed one).
   */
  refusedWithoutWorkflow: LatencyStats;
  refusedByWorkflow: LatencyStats;
}

export interface OperationSummary {
  count: number;
  ok: number;
  failedByReason: Record<string, number>;
  latency: LatencyStats;
}

/** Math.min/max(...values) overflow the stack on long runs; these do not. */
const minOf = (values: readonly number[]) => values.reduce((min, value) => (value < min ? value : min), Number.POSITIVE_INFINITY);
const maxOf = (values: readonly number[]) => values.reduce((max, value) => (value > max ? value : max), Number.NEGATIVE_INFINITY);

const tally = (keys: readonly string[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]));
};

export function summarizeBookings(records: readonly RequestRecord[]): BookingSummary {
  const bookings = records.filter((record) => record.kind === 'reserve');
  const confirmed = bookings.filter((record) => record.outcome === 'confirmed');
  const failed = bookings.filter((record) => record.outcome !== 'confirmed');
  const lostRaces = failed.filter((record) => record.status === 409 && (record.errorCode === 'seats_unavailable' || record.errorCode === 'sold_out'));
  const first = minOf(bookings.map((record) => record.start));
  const last = maxOf(bookings.map((record) => record.end));
  const elapsedSeconds = bookings.length > 0 ? Math.max(last - first, 1) / 1000 : 0;
  const seatsConfirmed = confirmed.reduce((sum, record) => sum + record.seats, 0);
  const perSecond = (n: number) => (elapsedSeconds > 0 ? Math.round((n / elapsedSeconds) * 10) / 10 : 0);
  return {
    requests: bookings.length,
    confirmed: confirmed.length,
    failedByReason: tally(failed.map((record) => record.errorCode ?? 'unknown')),
    byStatus: tally(bookings.map((record) => String(record.status))),
    answeredPending: bookings.filter((record) => record.answeredPending).length,
    retries: bookings.reduce((sum, record) => sum + (record.retries ?? 0), 0),
    retriedBookings: bookings.filter((record) => (record.retries ?? 0) > 0).length,
    unresolved: bookings.filter((record) => record.unresolved).length,
    seatsConfirmed,
    elapsedSeconds: Math.round(elapsedSeconds * 1000) / 1000,
    confirmedPerSecond: perSecond(confirmed.length),
    requestsPerSecond: perSecond(bookings.length),
    seatsPerSecond: perSecond(seatsConfirmed),
    latency: latencyStats(bookings.map((record) => record.latencyMs)),
    confirmedLatency: latencyStats(confirmed.map((record) => record.latencyMs)),
    failedLatency: latencyStats(failed.map((record) => record.latencyMs)),
    refusedWithoutWorkflow: latencyStats(lostRaces.filter((record) => record.reservationId === undefined).map((record) => record.latencyMs)),
    refusedByWorkflow: latencyStats(lostRaces.filter((record) => record.reservationId !== undefined).map((record) => record.latencyMs)),
  };
}

export function summarizeOperations(records: readonly RequestRecord[], kind: RequestKind): OperationSummary {
  const matching = records.filter((record) => record.kind === kind);
  const failed = matching.filter((record) => record.outcome === 'failed');
  return {
    count: matching.length,
    ok: matching.length - failed.length,
    failedByReason: tally(failed.map((record) => record.errorCode ?? 'unknown')),
    latency: latencyStats(matching.map((record) => record.latencyMs)),
  };
}

export interface TimelineBucket {
  /** Bucket start, seconds since the load started. */
  second: number;
  /** The bucket's length in seconds (the last one is usually shorter). */
  widthSeconds: number;
  started: number;
  confirmed: number;
  failed: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Per-second buckets of the bookings that ended in each second. */
export function timeline(records: readonly RequestRecord[], bucketMs = 1000): TimelineBucket[] {
  const bookings = records.filter((record) => record.kind === 'reserve');
  if (bookings.length === 0) return [];
  const last = maxOf(bookings.map((record) => record.end));
  const buckets = Math.floor(last / bucketMs) + 1;
  const ended: number[][] = Array.from({ length: buckets }, () => []);
  const started = new Array<number>(buckets).fill(0);
  const confirmed = new Array<number>(buckets).fill(0);
  for (const record of bookings) {
    const endBucket = Math.min(buckets - 1, Math.floor(record.end / bucketMs));
    ended[endBucket]?.push(record.latencyMs);
    if (record.outcome === 'confirmed') confirmed[endBucket] = (confirmed[endBucket] ?? 0) + 1;
    const startBucket = Math.min(buckets - 1, Math.floor(record.start / bucketMs));
    started[startBucket] = (started[startBucket] ?? 0) + 1;
  }
  return ended.map((latencies, index) => {
    const stats = latencyStats(latencies);
    return {
      second: (index * bucketMs) / 1000,
      widthSeconds: index === buckets - 1 ? Math.max(0.001, (last - index * bucketMs) / 1000) : bucketMs / 1000,
      started: started[index] ?? 0,
      confirmed: confirmed[index] ?? 0,
      failed: latencies.length - (confirmed[index] ?? 0),
      p50Ms: stats.p50Ms,
      p90Ms: stats.p90Ms,
      p99Ms: stats.p99Ms,
      maxMs: stats.maxMs,
    };
  });
}

/** Counts of booking latencies in logarithmic bins (for the histogram chart). */
export function latencyBins(records: readonly RequestRecord[]): { fromMs: number; toMs: number; confirmed: number; failed: number }[] {
  const bookings = records.filter((record) => record.kind === 'reserve');
  const edges = [0, 5, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700, 1000, 1500, 2000, 3000, 5000, 7000, 10_000, 15_000, 20_000, 30_000, 60_000, Number.POSITIVE_INFINITY];
  const bins = edges.slice(0, -1).map((fromMs, i) => ({ fromMs, toMs: edges[i + 1] ?? Number.POSITIVE_INFINITY, confirmed: 0, failed: 0 }));
  for (const record of bookings) {
    const bin = bins.find((candidate) => record.latencyMs < candidate.toMs);
    if (!bin) continue;
    if (record.outcome === 'confirmed') bin.confirmed++;
    else bin.failed++;
  }
  // Trim empty bins at both ends.
  const firstUsed = bins.findIndex((bin) => bin.confirmed + bin.failed > 0);
  const lastUsed = bins.length - 1 - [...bins].reverse().findIndex((bin) => bin.confirmed + bin.failed > 0);
  return firstUsed < 0 ? [] : bins.slice(firstUsed, lastUsed + 1);
}
