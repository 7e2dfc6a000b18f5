import type { ApiClient } from './http-client.js';

export interface MemorySample {
  /** Milliseconds since the run (its setup) started. */
  t: number;
  rssBytes: number;
}

export interface MemoryReport {
  samples: MemorySample[];
  maxRssBytes?: number;
}

/** One unlabelled sample from the API's Prometheus endpoint; undefined when it is not there. */
export async function apiMetric(api: ApiClient, name: string): Promise<number | undefined> {
  try {
    const answer = await api.request<string>('GET', '/metrics', { timeoutMs: 5000 });
    const match = typeof answer.body === 'string' ? new RegExp(`^${name}\\s+([0-9.e+-]+)$`, 'm').exec(answer.body) : null;
    return match?.[1] ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The API process's resident memory (prom-client's default metric). */
export const apiResidentBytes = (api: ApiClient): Promise<number | undefined> => apiMetric(api, 'process_resident_memory_bytes');

/** Samples the API's RSS every `everyMs` until stopped; a missing endpoint just leaves no samples. */
export function sampleApiMemory(api: ApiClient, now: () => number, everyMs = 1000): { stop(): Promise<MemoryReport> } {
  const samples: MemorySample[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  const take = () => {
    inFlight = apiResidentBytes(api).then((rssBytes) => {
      if (rssBytes !== undefined) samples.push({ t: now(), rssBytes });
    });
  };
  take();
  const timer = setInterval(take, everyMs);
  let report: Promise<MemoryReport> | undefined;
  return {
    /** Takes a last sample and returns them all; calling it again returns the same report. */
    stop() {
      report ??= (async () => {
        clearInterval(timer);
        await inFlight;
        take();
        await inFlight;
        const maxRssBytes = samples.reduce<number | undefined>((max, sample) => (max === undefined || sample.rssBytes > max ? sample.rssBytes : max), undefined);
        return { samples, ...(maxRssBytes !== undefined ? { maxRssBytes } : {}) };
      })();
      return report;
    },
  };
}
