import { allSeatIds, capacityOf, type Seating, type SeatStatus } from '../../lib/seating.js';
import type { SeatMessage } from '../../db/channels.js';
import { encode, type Counts, type SeatChange } from './protocol.js';

/** The read model of one event at one version, read in one consistent database snapshot. */
export interface EventSnapshot {
  seating: Seating;
  version: number;
  held: number;
  sold: number;
  /** Seats that are not available (reserved seating only; general admission sends counts). */
  taken: SeatChange[];
}

/** What one seat message did to the mirror. */
export type Advance =
  | { outcome: 'applied'; delta: Buffer }
  /** Already in the mirror: a late duplicate. */
  | { outcome: 'duplicate' }
  /** A version in between is missing: only a fresh snapshot can repair the mirror. */
  | { outcome: 'gap'; expected: number; got: number };

/**
 * One event's seat map at a known version, in memory, with no I/O: the part of the live feed that
 * decides whether a change can be relayed. It only moves by exactly one version per message, so
 * whoever got its snapshot and then every delta it returned holds the same map.
 */
export class SeatMirror {
  private seating: Seating | undefined;
  /** Reserved seating: every seat of the room in map order. */
  private readonly seats = new Map<string, SeatStatus>();
  private currentVersion = 0;
  private held = 0;
  private sold = 0;
  private snapshotBytes: Buffer | undefined;

  constructor(readonly eventId: string) {}

  get version(): number {
    return this.currentVersion;
  }

  install(snapshot: EventSnapshot): void {
    this.seating = snapshot.seating;
    this.currentVersion = snapshot.version;
    this.held = snapshot.held;
    this.sold = snapshot.sold;
    this.seats.clear();
    if (snapshot.seating.type === 'reserved') {
      for (const id of allSeatIds(snapshot.seating)) this.seats.set(id, 'available');
      for (const seat of snapshot.taken) if (this.seats.has(seat.id)) this.seats.set(seat.id, seat.status);
    }
    this.snapshotBytes = undefined;
  }

  /** A change published by the projection, in the order it arrived. */
  advance(message: SeatMessage): Advance {
    if (message.version <= this.currentVersion) return { outcome: 'duplicate' };
    if (message.version !== this.currentVersion + 1) return { outcome: 'gap', expected: this.currentVersion + 1, got: message.version };
    return { outcome: 'applied', delta: this.apply(message) };
  }

  /**
   * Applies the messages that arrived while the snapshot was read, in version order, skipping the
   * ones the snapshot already holds; false if one in between is missing.
   */
  catchUp(messages: readonly SeatMessage[]): boolean {
    const newer = messages.filter((message) => message.version > this.currentVersion).sort((a, b) => a.version - b.version);
    for (const message of newer) {
      if (message.version === this.currentVersion) continue; // a duplicate
      if (message.version !== this.currentVersion + 1) return false;
      this.apply(message);
    }
    return true;
  }

  /** The mirror as a snapshot message, encoded once per version however many sockets ask. */
  snapshot(): Buffer {
    if (this.snapshotBytes) return this.snapshotBytes;
    const base = { type: 'snapshot' as const, eventId: this.eventId, version: this.currentVersion, ...this.counts() };
    this.snapshotBytes =
      this.seating?.type === 'general'
        ? encode({ ...base, capacity: this.seating.capacity })
        : encode({ ...base, seats: [...this.seats].map(([id, status]) => ({ id, status })) });
    return this.snapshotBytes;
  }

  private counts(): Counts {
    const capacity = this.seating ? capacityOf(this.seating) : 0;
    return { available: capacity - this.held - this.sold, held: this.held, sold: this.sold };
  }

  /** Moves the mirror one version forward and returns the message for the subscribers. */
  private apply(message: SeatMessage): Buffer {
    this.currentVersion = message.version;
    this.held = message.held;
    this.sold = message.sold;
    this.snapshotBytes = undefined;
    if (this.seating?.type === 'general') {
      return encode({ type: 'availability', eventId: this.eventId, version: this.currentVersion, ...this.counts() });
    }
    for (const change of message.changes) if (this.seats.has(change.id)) this.seats.set(change.id, change.status);
    return encode({ type: 'seats', eventId: this.eventId, version: this.currentVersion, changes: message.changes, ...this.counts() });
  }
}
