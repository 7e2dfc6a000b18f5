import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../../lib/logger.js';
import type { SeatMessage } from '../../db/channels.js';
import { SeatMirror, type EventSnapshot } from './seat-mirror.js';
import type { SnapshotLoader } from './snapshot-loader.js';

/** Anything that can receive the feed's bytes: a WebSocket connection in production. */
export interface Subscriber {
  deliver(data: Buffer): void;
}

export interface EventFeedHooks {
  load: SnapshotLoader;
  /** The event does not exist: tell these subscribers; the feed is finished. */
  notFound(subscribers: Subscriber[]): void;
  logger: Logger;
}

/** Notifications kept while a snapshot loads; past this the oldest go, and the gap forces a reload. */
const MAX_PENDING = 10_000;
const MAX_RETRY_DELAY_MS = 5_000;

/**
 * One event's live seat map in this API process: a mirror of the read model (seat-mirror.ts), the
 * snapshot reads that (re)fill it, and the sockets subscribed to it.
 *
 * Every socket in `live` has received a snapshot at some version S followed by every message
 * S+1, S+2, ... up to the mirror's version, in order. A socket joins `live` only by receiving a
 * snapshot of the mirror, and the mirror only moves by exactly one version per relayed message;
 * any other version (a lost notification) sends everyone back to `waiting` for a fresh snapshot.
 */
export class EventFeed {
  private phase: 'loading' | 'live' = 'loading';
  private readonly live = new Set<Subscriber>();
  private readonly waiting = new Set<Subscriber>();
  /** Notifications that arrived while the snapshot was being read. */
  private pending: SeatMessage[] = [];
  private readonly mirror: SeatMirror;
  /** The read model's version seen at the previous consistency check. */
  private observedDatabaseVersion: number | undefined;
  private finished = false;
  resyncs = 0;

  constructor(
    readonly eventId: string,
    private readonly hooks: EventFeedHooks,
  ) {
    this.mirror = new SeatMirror(eventId);
    void this.load();
  }

  get isEmpty(): boolean {
    return this.live.size === 0 && this.waiting.size === 0;
  }

  get isLive(): boolean {
    return this.phase === 'live';
  }

  /** Sends a fresh snapshot (now, or once loaded); a second subscribe is how a client re-syncs. */
  subscribe(subscriber: Subscriber): void {
    this.live.delete(subscriber);
    if (this.phase === 'live') {
      subscriber.deliver(this.mirror.snapshot());
      this.live.add(subscriber);
    } else {
      this.waiting.add(subscriber);
    }
  }

  unsubscribe(subscriber: Subscriber): void {
    this.live.delete(subscriber);
    this.waiting.delete(subscriber);
  }

  /** A change published by the projection for this event. */
  receive(message: SeatMessage): void {
    if (this.phase === 'loading') {
      this.pending.push(message);
      if (this.pending.length > MAX_PENDING) this.pending.shift();
      return;
    }
    const step = this.mirror.advance(message);
    if (step.outcome === 'duplicate') return;
    if (step.outcome === 'gap') {
      this.hooks.logger.warn({ eventId: this.eventId, expected: step.expected, got: step.got }, 'live feed: version gap, re-reading the snapshot');
      this.resync();
      return;
    }
    for (const subscriber of [...this.live]) subscriber.deliver(step.delta);
  }

  /**
   * Called periodically with the read model's version. A mirror still behind the version seen at
   * the previous check has lost a notification that no later message revealed: re-read it.
   */
  checkVersion(databaseVersion: number): void {
    if (this.phase === 'live' && this.observedDatabaseVersion !== undefined && this.mirror.version < this.observedDatabaseVersion) {
      this.hooks.logger.warn({ eventId: this.eventId, mirror: this.mirror.version, database: this.observedDatabaseVersion }, 'live feed: behind the read model, re-reading the snapshot');
      this.resync();
    }
    this.observedDatabaseVersion = databaseVersion;
  }

  /** Every subscriber gets a fresh snapshot (after a gap or a LISTEN reconnect). */
  resync(): void {
    if (this.phase === 'loading' || this.finished) return;
    this.resyncs++;
    this.phase = 'loading';
    for (const subscriber of this.live) this.waiting.add(subscriber);
    this.live.clear();
    this.pending = [];
    void this.load();
  }

  finish(): void {
    this.finished = true;
    this.live.clear();
    this.waiting.clear();
    this.pending = [];
  }

  private async load(): Promise<void> {
    let retryDelayMs = 50;
    while (!this.finished) {
      // Whatever was received until now committed before this read starts, so the snapshot has it;
      // only what arrives while it is read can be newer.
      this.pending = [];
      let snapshot: EventSnapshot | undefined;
      try {
        snapshot = await this.hooks.load(this.eventId);
      } catch (error) {
        this.hooks.logger.warn({ err: error, eventId: this.eventId }, 'live feed: snapshot failed; retrying');
        await delay(retryDelayMs);
        retryDelayMs = Math.min(retryDelayMs * 2, MAX_RETRY_DELAY_MS);
        continue;
      }
      if (this.finished) return;
      if (!snapshot) {
        const rejected = [...this.waiting];
        this.finish();
        this.hooks.notFound(rejected);
        return;
      }
      this.mirror.install(snapshot);
      const arrivedDuringRead = this.pending;
      this.pending = [];
      if (this.mirror.catchUp(arrivedDuringRead)) {
        this.goLive();
        return;
      }
      // A notification went missing while the snapshot was read: read again, after a breath.
      await delay(retryDelayMs);
      retryDelayMs = Math.min(retryDelayMs * 2, MAX_RETRY_DELAY_MS);
    }
  }

  private goLive(): void {
    this.phase = 'live';
    const snapshot = this.mirror.snapshot();
    const joining = [...this.waiting];
    this.waiting.clear();
    for (const subscriber of joining) {
      this.live.add(subscriber);
      subscriber.deliver(snapshot);
    }
  }
}
