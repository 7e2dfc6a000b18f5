import type { Seating } from '../lib/seating.js';
import type { SeatState } from './api.js';

/** One event the run books: created by it (main or short-lived), or named with --event. */
export interface RunEvent {
  id: string;
  seating: Seating;
  capacity: number;
  /** Reserved seating: every seat id, in map order. General admission: empty. */
  seatIds: string[];
  /** Created and deleted while the booking runs (--create-delete-events). */
  ephemeral: boolean;
  /** Milliseconds since the load started. */
  createdAt: number;
  deletedAt?: number;
  /** Seats already sold when the run began (an existing event). */
  initiallySold: number;
  /** Reserved seating: seats already held or sold when the run began. */
  knownTaken: Pick<SeatState, 'id' | 'status'>[];
  /** When the last seat was sold, in milliseconds since the load started. */
  soldOutAt?: number;
}

interface ConfirmedBooking {
  eventId: string;
  seats: number;
  seatIds: string[];
  customer: number;
}

/**
 * The run's own account of what it bought, from the API's answers: which reservations are confirmed
 * (once each, however many answers repeat them) and which it cancelled. The run is the only buyer of
 * its own events, so this is what Postgres must show once everything has settled.
 */
export class Ledger {
  private readonly confirmed = new Map<string, ConfirmedBooking>();
  private readonly cancelled = new Set<string>();
  /** Cancellations sent and not answered yet: no second client cancels the same booking meanwhile. */
  private readonly cancelling = new Set<string>();
  /** Cancellations whose answer was lost or came too late: their outcome is read after settling. */
  private readonly cancelsInDoubt = new Set<string>();
  private readonly soldByEvent = new Map<string, number>();
  private readonly unitsInFlight = new Map<string, number>();
  /** Seats sold over the run's main events, after every change: the "seats filled" curve. */
  readonly filled: { t: number; sold: number }[] = [];
  private mainSold = 0;

  constructor(readonly events: RunEvent[]) {
    for (const event of events) this.soldByEvent.set(event.id, event.initiallySold);
    this.mainSold = events.filter((event) => !event.ephemeral).reduce((sum, event) => sum + event.initiallySold, 0);
    this.filled.push({ t: 0, sold: this.mainSold });
  }

  add(event: RunEvent): void {
    this.events.push(event);
    this.soldByEvent.set(event.id, event.initiallySold);
  }

  event(id: string): RunEvent | undefined {
    return this.events.find((event) => event.id === id);
  }

  /** Records a confirmed reservation; false when this reservation was already counted. */
  confirm(reservationId: string, eventId: string, seatIds: string[], seats: number, customer: number, t: number): boolean {
    if (this.confirmed.has(reservationId)) return false;
    this.confirmed.set(reservationId, { eventId, seats, seatIds, customer });
    this.changeSold(eventId, seats, t);
    const event = this.event(eventId);
    if (event && event.soldOutAt === undefined && this.sold(eventId) >= event.capacity) event.soldOutAt = t;
    return true;
  }

  /** A confirmed reservation was cancelled: its seats are for sale again. */
  cancel(reservationId: string, t: number): ConfirmedBooking | undefined {
    const booking = this.confirmed.get(reservationId);
    if (!booking || this.cancelled.has(reservationId)) return undefined;
    this.cancelled.add(reservationId);
    this.changeSold(booking.eventId, -booking.seats, t);
    return booking;
  }

  isConfirmed(reservationId: string): boolean {
    return this.confirmed.has(reservationId) && !this.cancelled.has(reservationId);
  }

  /**
   * One of this customer's confirmed bookings (not cancelled, not on a deleted event), chosen with
   * `pick`, now reserved for cancelling; `doneCancelling` gives it back.
   */
  takeForCancelling(customer: number, pick: (ids: string[]) => string | undefined): (ConfirmedBooking & { reservationId: string }) | undefined {
    const candidates: string[] = [];
    for (const [id, booking] of this.confirmed) {
      if (booking.customer !== customer || this.cancelled.has(id) || this.cancelling.has(id)) continue;
      if (this.event(booking.eventId)?.deletedAt !== undefined) continue;
      candidates.push(id);
    }
    const chosen = pick(candidates);
    const booking = chosen ? this.confirmed.get(chosen) : undefined;
    if (!chosen || !booking) return undefined;
    this.cancelling.add(chosen);
    return { ...booking, reservationId: chosen };
  }

  doneCancelling(reservationId: string): void {
    this.cancelling.delete(reservationId);
  }

  /** A cancellation may have gone through without the client hearing of it (a fault ate the answer). */
  cancelInDoubt(reservationId: string): void {
    if (this.isConfirmed(reservationId)) this.cancelsInDoubt.add(reservationId);
  }

  /** The cancellations in doubt, once: settle() reads their outcome from the booking store. */
  takeCancelsInDoubt(): string[] {
    const ids = [...this.cancelsInDoubt];
    this.cancelsInDoubt.clear();
    return ids;
  }

  private changeSold(eventId: string, delta: number, t: number): void {
    this.soldByEvent.set(eventId, this.sold(eventId) + delta);
    if (this.event(eventId)?.ephemeral === false) {
      this.mainSold += delta;
      this.filled.push({ t, sold: this.mainSold });
    }
  }

  sold(eventId: string): number {
    return this.soldByEvent.get(eventId) ?? 0;
  }

  /** General admission: tickets asked for by requests still in flight, so clients do not ask for more than is left. */
  reserveUnits(eventId: string, units: number): void {
    this.unitsInFlight.set(eventId, (this.unitsInFlight.get(eventId) ?? 0) + units);
  }

  releaseUnits(eventId: string, units: number): void {
    this.unitsInFlight.set(eventId, (this.unitsInFlight.get(eventId) ?? 0) - units);
  }

  unitsLeft(event: RunEvent): number {
    return event.capacity - this.sold(event.id) - (this.unitsInFlight.get(event.id) ?? 0);
  }

  isSoldOut(event: RunEvent): boolean {
    return this.sold(event.id) >= event.capacity;
  }

  /** Every main event sold out: the end of an --until-sold-out run. */
  allMainSoldOut(): boolean {
    const main = this.events.filter((event) => !event.ephemeral);
    return main.length > 0 && main.every((event) => this.isSoldOut(event));
  }

  mainCapacity(): number {
    return this.events.filter((event) => !event.ephemeral).reduce((sum, event) => sum + event.capacity, 0);
  }

  mainSoldNow(): number {
    return this.mainSold;
  }

  /** Seats each event must show as sold in Postgres: what we confirmed and did not cancel; nothing for a deleted event. */
  expectedSold(): Map<string, number> {
    return new Map(this.events.map((event) => [event.id, event.deletedAt === undefined ? this.sold(event.id) : 0]));
  }

  /** Confirmed (not cancelled) seats per customer: how the clients shared the room. */
  seatsByCustomer(): Map<number, number> {
    const shares = new Map<number, number>();
    for (const [id, booking] of this.confirmed) {
      if (this.cancelled.has(id) || this.event(booking.eventId)?.deletedAt !== undefined) continue;
      shares.set(booking.customer, (shares.get(booking.customer) ?? 0) + booking.seats);
    }
    return shares;
  }

  /** Seats confirmed by more than one reservation over the run: bought, cancelled, bought again. */
  reboughtSeats(): number {
    const times = new Map<string, number>();
    for (const booking of this.confirmed.values()) {
      for (const seat of booking.seatIds) {
        const key = `${booking.eventId}/${seat}`;
        times.set(key, (times.get(key) ?? 0) + 1);
      }
    }
    return [...times.values()].filter((count) => count > 1).length;
  }

  confirmedReservations(): number {
    return this.confirmed.size;
  }

  cancelledReservations(): number {
    return this.cancelled.size;
  }
}
