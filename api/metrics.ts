import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one API process, served at /metrics. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return { registry, httpDuration };
}

export type Metrics = ReturnType<typeof createMetrics>;

export interface QueueGaugeRow {
  eventId: string;
  waiting: number;
  admitted: number;
  ratePerMinute: number;
}

/**
 * The waiting room's gauges (docs/waiting-room.md), per event whose queue is opening or open, read
 * from Postgres at scrape time (one query for all three), so every API process reports the same.
 * Registered once per registry.
 */
export function registerQueueGauges(registry: Registry, read: () => Promise<QueueGaugeRow[]>): void {
  if (registry.getSingleMetric('boxoffice_queue_waiting')) return;
  let pending: Promise<QueueGaugeRow[]> | undefined;
  // The three gauges of one scrape share one read.
  const rows = (): Promise<QueueGaugeRow[]> => {
    pending ??= read().finally(() => setTimeout(() => (pending = undefined), 0));
    return pending;
  };
  const gauge = (name: string, help: string, value: (row: QueueGaugeRow) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['event_id'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const row of await rows()) this.set({ event_id: row.eventId }, value(row));
      },
    });
  gauge('boxoffice_queue_waiting', 'Buyers in an event’s queue not yet admitted (pre-queue included)', (row) => row.waiting);
  gauge('boxoffice_queue_admitted', 'Admitted buyers whose admission window is running and who have not booked yet', (row) => row.admitted);
  gauge('boxoffice_queue_admit_per_minute', 'The queue’s current admission rate', (row) => row.ratePerMinute);
}
