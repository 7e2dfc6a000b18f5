import type { SeatState } from './api.js';
import type { Random } from './random.js';

/**
 * What a client believes about the seats of one reserved-seating room, as a browser showing the seat
 * map would: `mine` are in its own requests in flight, `taken` someone else holds (learned from a
 * 409 or the seat map), `sold` it knows to be sold. Only what the client has been told: with
 * per-client knowledge two clients can pick the same seat, which is the race being measured.
 */
type SeatBelief = 'free' | 'mine' | 'taken' | 'sold';

export class RoomView {
  private readonly belief = new Map<string, SeatBelief>();
  private lastRefresh = 0;
  private refreshing: Promise<void> | undefined;

  constructor(readonly seatIds: readonly string[]) {
    for (const id of seatIds) this.belief.set(id, 'free');
  }

  /** A block of up to `count` free seats (fewer only when fewer are left), from a random free seat on, in map order. */
  pickRandom(count: number, random: Random): string[] | undefined {
    const free = this.seatIds.filter((id) => this.belief.get(id) === 'free');
    if (free.length === 0) return undefined;
    const start = Math.floor(random.next() * free.length);
    const block = [...free.slice(start), ...free.slice(0, start)].slice(0, count);
    for (const id of block) this.belief.set(id, 'mine');
    return block;
  }

  /**
   * Hot contention: everyone wants the best remaining seats, the first `hotSeats` in map order not
   * known to be sold, whoever else is asking for them right now.
   */
  pickHot(count: number, hotSeats: number, random: Random): string[] | undefined {
    const candidates: string[] = [];
    for (const id of this.seatIds) {
      if (this.belief.get(id) !== 'sold') candidates.push(id);
      if (candidates.length >= Math.max(hotSeats, count)) break;
    }
    if (candidates.length === 0) return undefined;
    return random.sample(candidates, Math.min(count, candidates.length));
  }

  /** The answer to a request for `seatIds`: sold to us, someone else has them, or still free. */
  learn(seatIds: readonly string[], outcome: 'sold' | 'free', takenByOthers: readonly string[] = []): void {
    const taken = new Set(takenByOthers);
    for (const id of seatIds) {
      const current = this.belief.get(id);
      if (current === undefined) continue;
      if (outcome === 'sold') this.belief.set(id, 'sold');
      // A late failure must not undo a sale this client has since learned of.
      else if (current !== 'sold') this.belief.set(id, taken.has(id) ? 'taken' : 'free');
    }
    for (const id of taken) if (this.belief.get(id) === 'free') this.belief.set(id, 'taken');
  }

  /** Seats someone sold are for sale again (a cancellation). */
  release(seatIds: readonly string[]): void {
    for (const id of seatIds) if (this.belief.has(id)) this.belief.set(id, 'free');
  }

  /**
   * The API's seat map: what others hold or bought. Our own requests in flight keep their seats, and
   * a seat known sold stays sold: the map comes from the read model, which may lag behind a sale,
   * and only this run's own cancellations (told through `release`) make a sold seat free again.
   */
  applySeatMap(seats: readonly Pick<SeatState, 'id' | 'status'>[]): void {
    for (const seat of seats) {
      const current = this.belief.get(seat.id);
      if (current === undefined || current === 'mine' || current === 'sold') continue;
      this.belief.set(seat.id, seat.status === 'sold' ? 'sold' : seat.status === 'held' ? 'taken' : 'free');
    }
  }

  /** Re-reads the seat map, at most every `minIntervalMs`; concurrent callers share one read. */
  async refresh(load: () => Promise<readonly SeatState[]>, now: number, minIntervalMs: number): Promise<void> {
    if (this.refreshing) return this.refreshing;
    if (now - this.lastRefresh < minIntervalMs) return;
    this.lastRefresh = now;
    this.refreshing = load()
      .then((seats) => this.applySeatMap(seats))
      .catch(() => {
        // A failed read leaves the beliefs as they were; the next refresh tries again.
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }

  count(belief: SeatBelief): number {
    let n = 0;
    for (const value of this.belief.values()) if (value === belief) n++;
    return n;
  }
}
