import type postgres from 'postgres';
import type { SeatStatus } from '../../lib/seating.js';
import type { Logger } from '../../lib/logger.js';
import { allSeatIds, capacityOf, type Seating } from '../../lib/seating.js';
import type { SeatMessage } from '../../db/channels.js';
import { encode, type Counts, type SeatChange } from './protocol.js';

/** Anything that can receive the feed's bytes: a WebSocket connection in production. */
export interface Subscriber {
  deliver(data: Buffer): void;
}

/** The read model of one event at one version, read in one consistent database snapshot. */
export interface EventSnapshot {
  seating: Seating;
  version: number;
  held: number;
  sold: number;
  /** Seats that are not available (reserved seating only; general admission sends counts). */
  taken: SeatChange[];
}

/** Resolves to undefined when there is no such event. */
export type SnapshotLoader = (eventId: string) => Promise<EventSnapshot | undefined>;

/**
 * Reads seating, version and seat states in one REPEATABLE READ transaction: the projection writes
 * the seat states and bumps the version in one transaction, so this snapshot's seats are exactly
 * those of its version, and every later change carries a higher version.
 */
export function createSnapshotLoader(sql: postgres.Sql): SnapshotLoader {
  return (eventId) =>
    sql.begin('isolation level repeatable read read only', async (tx) => {
      const [event] = await tx<{ seating_type: 'reserved' | 'general'; rows: number | null; seats_per_row: number | null; capacity: number }[]>`
        SELECT seating_type, rows, seats_per_row, capacity FROM catalog.events WHERE id = ${eventId}`;
      if (!event) return undefined;
      const seating: Seating =
        event.seating_type === 'reserved' ? { type: 'reserved', rows: event.rows ?? 0, seatsPerRow: event.seats_per_row ?? 0 } : { type: 'general', capacity: event.capacity };
      const [counts] = await tx<{ version: string; held: number; sold: number }[]>`
        SELECT version::text, held, sold FROM readmodel.event_availability WHERE event_id = ${eventId}`;
      const taken =
        seating.type === 'reserved' ? await tx<{ id: string; status: SeatStatus }[]>`SELECT seat_id AS id, status FROM readmodel.seat_states WHERE event_id = ${eventId}` : [];
      return { seating, version: Number(counts?.version ?? 0), held: counts?.held ?? 0, sold: counts?.sold ?? 0, taken: taken.map((seat) => ({ id: seat.id, status: seat.status })) };
    });
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
 * One event's live seat map in this API process: an in-memory mirror of the read model at a known
 * version, and the sockets subscribed to it.
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
  private seating: Seating | undefined;
  /** Reserved seating: every seat of the room in map order. */
  private readonly seats = new Map<string, SeatStatus>();
  private version = 0;
  private held = 0;
  private sold = 0;
  private snapshotBytes: Buffer | undefined;
  /** The read model's version seen at the previous consistency check. */
  private observedDatabaseVersion: number | undefined;
  private finished = false;
  resyncs = 0;

  constructor(
    readonly eventId: string,
    private readonly hooks: EventFeedHooks,
  ) {
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
      subscriber.deliver(this.snapshot());
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
    if (message.version <= this.version) return; // already in the mirror: a late duplicate
    if (message.version !== this.version + 1) {
      this.hooks.logger.warn({ eventId: this.eventId, expected: this.version + 1, got: message.version }, 'live feed: version gap, re-reading the snapshot');
      this.resync();
      return;
    }
    const delta = this.apply(message);
    for (const subscriber of [...this.live]) subscriber.deliver(delta);
  }

  /**
   * Called periodically with the read model's version. A mirror still behind the version seen at
   * the previous check has lost a notification that no later message revealed: re-read it.
   */
  checkVersion(databaseVersion: number): void {
    if (this.phase === 'live' && this.observedDatabaseVersion !== undefined && this.version < this.observedDatabaseVersion) {
      this.hooks.logger.warn({ eventId: this.eventId, mirror: this.version, database: this.observedDatabaseVersion }, 'live feed: behind the read model, re-reading the snapshot');
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
        await this.pause(retryDelayMs);
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
      this.install(snapshot);
      if (this.replayPending()) {
        this.goLive();
        return;
      }
      // A notification went missing while the snapshot was read: read again, after a breath.
      await this.pause(retryDelayMs);
      retryDelayMs = Math.min(retryDelayMs * 2, MAX_RETRY_DELAY_MS);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  private install(snapshot: EventSnapshot): void {
    this.seating = snapshot.seating;
    this.version = snapshot.version;
    this.held = snapshot.held;
    this.sold = snapshot.sold;
    this.seats.clear();
    if (snapshot.seating.type === 'reserved') {
      for (const id of allSeatIds(snapshot.seating)) this.seats.set(id, 'available');
      for (const seat of snapshot.taken) if (this.seats.has(seat.id)) this.seats.set(seat.id, seat.status);
    }
    this.snapshotBytes = undefined;
  }

  /** Applies the notifications that arrived during the read and are newer; false if one is missing. */
  private replayPending(): boolean {
    const newer = this.pending.filter((message) => message.version > this.version).sort((a, b) => a.version - b.version);
    this.pending = [];
    for (const message of newer) {
      if (message.version === this.version) continue; // a duplicate
      if (message.version !== this.version + 1) return false;
      this.apply(message);
    }
    return true;
  }

  private goLive(): void {
    this.phase = 'live';
    const snapshot = this.snapshot();
    const joining = [...this.waiting];
    this.waiting.clear();
    for (const subscriber of joining) {
      this.live.add(subscriber);
      subscriber.deliver(snapshot);
    }
  }

  private counts(): Counts {
    const capacity = this.seating ? capacityOf(this.seating) : 0;
    return { available: capacity - this.held - this.sold, held: this.held, sold: this.sold };
  }

  /** Moves the mirror one version forward and returns the message for the subscribers. */
  private apply(message: SeatMessage): Buffer {
    this.version = message.version;
    this.held = message.held;
    this.sold = message.sold;
    this.snapshotBytes = undefined;
    if (this.seating?.type === 'general') {
      return encode({ type: 'availability', eventId: this.eventId, version: this.version, ...this.counts() });
    }
    for (const change of message.changes) if (this.seats.has(change.id)) this.seats.set(change.id, change.status);
    return encode({ type: 'seats', eventId: this.eventId, version: this.version, changes: message.changes, ...this.counts() });
  }

  /** The mirror as a snapshot message, encoded once per version however many sockets ask. */
  private snapshot(): Buffer {
    if (this.snapshotBytes) return this.snapshotBytes;
    const base = { type: 'snapshot' as const, eventId: this.eventId, version: this.version, ...this.counts() };
    this.snapshotBytes =
      this.seating?.type === 'general'
        ? encode({ ...base, capacity: this.seating.capacity })
        : encode({ ...base, seats: [...this.seats].map(([id, status]) => ({ id, status })) });
    return this.snapshotBytes;
  }
}
