/**
 * A closed loop: `concurrency` callers, each starting its next call when the last one answered,
 * until the window ends; calls in flight at the end are awaited and counted (their CPU is in the
 * window the caller measures around this).
 */
export interface LoopResult {
  ok: number;
  failed: number;
  elapsedMs: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** The first failure's message, to say what went wrong. */
  firstError?: string;
}

export async function closedLoop(concurrency: number, windowMs: number, once: () => Promise<unknown>): Promise<LoopResult> {
  const started = performance.now();
  const deadline = started + windowMs;
  const latencies: number[] = [];
  let failed = 0;
  let firstError: string | undefined;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          await once();
          latencies.push(performance.now() - t0);
        } catch (error) {
          failed++;
          firstError ??= error instanceof Error ? error.message : String(error);
        }
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return { ok: latencies.length, failed, elapsedMs, perSecond: (latencies.length * 1000) / elapsedMs, p50Ms: at(0.5), p99Ms: at(0.99), ...(firstError ? { firstError } : {}) };
}
