import { performance } from 'node:perf_hooks';
import type { ApiClient } from './http-client.js';
import type { Ledger, RunEvent } from './ledger.js';
import type { LoadOptions } from './options.js';
import type { Random } from './random.js';
import type { RequestRecord } from './records.js';
import { RoomView } from './seat-view.js';

/** One booking a client is about to make. */
export interface BookingPlan {
  event: RunEvent;
  customer: Customer;
  /** Reserved seating: the seats. General admission: undefined, and `quantity` tickets. */
  seatIds?: string[];
  quantity: number;
  /** Reserved seating without `seatIds`: the house picks `quantity` seats. */
  bestAvailable?: boolean;
  paymentToken: 'tok_visa' | 'tok_declined' | 'tok_slow';
  holdThenPay: boolean;
  respondAsync: boolean;
  /** Sent as Idempotency-Key; with one, a lost answer can be asked for again safely. */
  idempotencyKey?: string;
  sameRequest?: 'keyed' | 'unkeyed';
  /** An on-sale through a waiting room: the buyer's admission, sent as the Admission-Token header. */
  admissionToken?: string;
}

export interface Account {
  id: string;
  token: string;
  email: string;
}

export interface Customer extends Account {
  index: number;
}

/** A booking whose outcome is not known yet, with its plan so that it can be asked again with its key. */
export interface UnresolvedBooking {
  record: RequestRecord;
  plan: BookingPlan;
}

/** Live counts for the progress line, kept as records arrive so the line costs nothing to draw. */
export class LiveCounts {
  bookings = 0;
  confirmed = 0;
  failedByReason = new Map<string, number>();
  /** Booking attempts finished in each of the last seconds, for the current rate. */
  private readonly recentEnds: number[] = [];

  add(record: RequestRecord): void {
    if (record.kind !== 'reserve') return;
    this.bookings++;
    if (record.outcome === 'confirmed') this.confirmed++;
    else this.failedByReason.set(record.errorCode ?? 'unknown', (this.failedByReason.get(record.errorCode ?? 'unknown') ?? 0) + 1);
    this.recentEnds.push(record.end);
    if (this.recentEnds.length > 20_000) this.recentEnds.splice(0, 10_000);
  }

  /** Bookings finished per second over the last `windowMs`. */
  rate(now: number, windowMs = 3000): number {
    let n = 0;
    for (let i = this.recentEnds.length - 1; i >= 0 && (this.recentEnds[i] ?? 0) > now - windowMs; i--) n++;
    return (n * 1000) / Math.min(windowMs, Math.max(now, 1));
  }
}

/** The state one run shares between its clients: the API, the ledger, what each client knows. */
export class RunContext {
  readonly records: RequestRecord[] = [];
  readonly live = new LiveCounts();
  /** Booking attempts whose outcome was still open when their own deadline came: settled after the load. */
  readonly unresolved: UnresolvedBooking[] = [];
  inFlight = 0;
  /** Open mode: arrivals not sent because `connections` requests were already in flight. */
  droppedArrivals = 0;
  stopping = false;
  private sequence = 0;
  private readonly views = new Map<string, RoomView>();
  private readonly origin = performance.now();

  constructor(
    readonly options: LoadOptions,
    readonly api: ApiClient,
    readonly random: Random,
    readonly ledger: Ledger,
    readonly customers: Customer[],
    readonly organizer: Account,
  ) {}

  /** Milliseconds since the load started. */
  now(): number {
    return performance.now() - this.origin;
  }

  record(fields: Omit<RequestRecord, 'seq'>): RequestRecord {
    const record: RequestRecord = { seq: ++this.sequence, ...fields };
    this.records.push(record);
    this.live.add(record);
    return record;
  }

  /** The seat map as this customer knows it: one shared view, or one per customer. */
  viewFor(customer: Customer, event: RunEvent): RoomView {
    const holder = this.options.seatKnowledge === 'shared' ? 'all' : String(customer.index);
    const key = `${holder}/${event.id}`;
    let view = this.views.get(key);
    if (!view) {
      view = new RoomView(event.seatIds);
      view.applySeatMap(event.knownTaken);
      this.views.set(key, view);
    }
    return view;
  }

  /** Every view of this event (a cancellation frees the seats for everyone who knew of it). */
  viewsOf(eventId: string): RoomView[] {
    return [...this.views.entries()].filter(([key]) => key.endsWith(`/${eventId}`)).map(([, view]) => view);
  }
}
