import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type DropReason = 'slow_reader' | 'no_pong';

/** What the gauges read at scrape time. */
export interface MetricSources {
  clients(): number;
  bufferedBytes(): number;
}

/**
 * The feed's counters, for `LiveFeed.stats()` (always) and the API's Prometheus registry (when
 * given): tests read the former, operators scrape the latter.
 */
export class LiveFeedMetrics {
  droppedSlowClients = 0;
  droppedUnresponsiveClients = 0;
  private readonly dropped: Counter<'reason'> | undefined;
  private readonly relayDuration: Histogram | undefined;

  constructor(registry: Registry | undefined, sources: MetricSources) {
    if (!registry) return;
    this.dropped = new Counter({ name: 'live_feed_dropped_clients_total', help: 'WebSocket clients dropped by the live feed', labelNames: ['reason'] as const, registers: [registry] });
    this.relayDuration = new Histogram({
      name: 'live_feed_relay_seconds',
      help: 'Time to hand one seat change to every subscribed socket of this process',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers: [registry],
    });
    new Gauge({ name: 'live_feed_clients', help: 'Open live seat-map sockets', registers: [registry], collect() { this.set(sources.clients()); } });
    new Gauge({ name: 'live_feed_buffered_bytes', help: 'Bytes queued for live seat-map sockets', registers: [registry], collect() { this.set(sources.bufferedBytes()); } });
  }

  clientDropped(reason: DropReason): void {
    if (reason === 'slow_reader') this.droppedSlowClients++;
    else this.droppedUnresponsiveClients++;
    this.dropped?.inc({ reason });
  }

  relayed(seconds: number): void {
    this.relayDuration?.observe(seconds);
  }
}
