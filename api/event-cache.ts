import type { Database } from '../db/client.js';
import { EVENT_CHANNEL } from '../db/channels.js';
import { findEvent } from './routes/events.js';

type EventRow = Awaited<ReturnType<typeof findEvent>>;

/** Beyond this many events the oldest looks are forgotten. */
const MAX_REMEMBERED = 1_000;

/**
 * The booking path's look at an event (price, status, start, seating), remembered per process for
 * `cacheMs`: a seed-002 booking read the same four rows thousands of times a second.
 *
 * Fresh after a change: the process that changes an event forgets it at once (`changed`) and
 * NOTIFYs `EVENT_CHANNEL`; every other API process forgets it when the notification arrives (the
 * live feed's relay LISTENs). `cacheMs` only bounds a notification lost while LISTEN reconnects.
 * A read that started before a change and answers after it is not remembered (the generation),
 * so it cannot put the old row back. Misses (404) are never remembered.
 */
export class EventCache {
  private readonly remembered = new Map<string, { at: number; event: EventRow }>();
  private generation = 0;

  constructor(
    private readonly db: Database,
    private readonly cacheMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async find(id: string): Promise<EventRow> {
    const seen = this.remembered.get(id);
    if (seen && this.now() - seen.at < this.cacheMs) return seen.event;
    const generation = this.generation;
    const at = this.now();
    const event = await findEvent(this.db, id);
    if (this.cacheMs > 0 && generation === this.generation) {
      this.remembered.delete(id);
      if (this.remembered.size >= MAX_REMEMBERED) this.remembered.delete(this.remembered.keys().next().value as string);
      this.remembered.set(id, { at, event });
    }
    return event;
  }

  /** Another process changed the event (its NOTIFY): read it afresh next time. */
  forget(id: string): void {
    this.generation += 1;
    this.remembered.delete(id);
  }

  /** This process changed the event (committed): forget it here, and tell the other processes. */
  async changed(id: string): Promise<void> {
    this.forget(id);
    await this.db.$client`SELECT pg_notify(${EVENT_CHANNEL}, ${id})`;
  }
}
