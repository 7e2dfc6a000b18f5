import { setTimeout as delay } from 'node:timers/promises';
import type { ErrorBody, Event, QueuePlace } from '../api/contract/index.js';
import type { QueueMessage } from '../api/live/protocol.js';
import type { InvariantStores } from '../db/invariants.js';
import { estimatedWaitSeconds, positionOf } from '../lib/waiting-room.js';
import { expectStatus } from './api.js';
import { book, newIdempotencyKey } from './booking.js';
import { errorCodeOf, TransportError, type ApiClient } from './http-client.js';
import type { RunEvent } from './ledger.js';
import type { LoadOptions } from './options.js';
import { epochNow, QueueAudience, type QueueListener, type SocketReport } from './queue-audience.js';
import type { Account, Customer, RunContext } from './run-context.js';
import { newRunEvent } from './setup.js';
import { latencyStats, type LatencyStats } from './stats.js';

/**
 * The on-sale scenario (issue 14, `--scenario onsale`): one reserved event goes on sale at a set
 * time; every customer is one buyer. Through the waiting room each buyer keeps a socket on the
 * queue's broadcast (as the page does), joins within `joinSpreadMs` before the opening, works out
 * its position from the broadcast, and books 1–4 seats best available with its admission token once
 * admitted. `--no-queue`: the same buyers send the same bookings at the opening, no queue.
 */

/** An event's opening before the buyers are ready: moved to its real time once the sockets are open. */
const PLACEHOLDER_OPENING_MS = 30 * 60_000;
/** Between the sockets being ready and the first join. */
const LEAD_MS = 1500;
/** No queue: the buyers' clicks at the opening spread over this long (people do not all press at the same millisecond). */
const CLICK_SPREAD_MS = 250;
/** The broadcast says our place changed: wait this long for our own place message before asking once (as the page does). */
const PLACE_PUSH_GRACE_MS = 1500;
const FALLBACK_JITTER_MS = 1000;
/** With sockets: a buyer that heard nothing for this long reads its place once (a socket can go quiet unnoticed). */
const QUIET_MS = 15_000;
/** Without sockets: how often a buyer reads its place. */
const POLL_MS = 2000;
/** A buyer admitted within ±30% of the estimate counts as well estimated (the target). */
const ESTIMATE_TOLERANCE = 0.3;

export type BuyerOutcome = 'booked' | 'sold_out_waiting' | 'sold_out_at_booking' | 'not_booked' | 'expired' | 'closed' | 'join_failed' | 'unfinished';

export interface OnSaleReport {
  queue: boolean;
  buyers: number;
  /** Milliseconds since the load started. */
  openingAtMs: number;
  joins: { ok: number; failedByReason: Record<string, number>; latency: LatencyStats; firstMs?: number; lastMs?: number };
  outcomes: Record<BuyerOutcome, number>;
  /** From the opening to the last seat sold (the run's own account). */
  timeToSellOutMs?: number;
  /** Every booking the buyers sent (with its retries and 202 follow-ups), and the confirmed ones. */
  bookingLatency: LatencyStats;
  confirmedLatency: LatencyStats;
  /** Bookings sent after the last join was answered: the sale without the join burst. */
  bookingLatencyAfterJoins: LatencyStats;
  /** Bookings answered 202 (pending) first, and bookings without a final answer in time: both must be 0. */
  answered202: number;
  timeouts: number;
  /** Bookings that needed a call again (a lost answer, a 5xx or a 429) before their final answer. */
  retriedBookings: number;
  /** Fallback reads of one's place (`GET …/queue/me`), besides each buyer's initial join. */
  placeReads: number;
  admission?: {
    admitted: number;
    /** From the opening to the first and the last admission (Postgres' admitted_at). */
    firstAfterOpeningMs?: number;
    lastAfterOpeningMs?: number;
  };
  estimate?: {
    /** Buyers with a prediction (first non-null estimate after the draw) and an admission. */
    predicted: number;
    withinTolerance: number;
    withinShare: number;
    medianAbsErrorPct: number;
    p90AbsErrorPct: number;
    medianAbsErrorSeconds: number;
    /** The median of (estimate − actual wait) ÷ actual wait, %: above 0, estimates ran long. */
    medianSignedErrorPct: number;
    /** Admitted buyers who never had an estimate to show (admitted before any rate was known). */
    unestimated: number;
  };
  fairness?: {
    /** Pairs admitted against place order (a later place admitted strictly before an earlier one). */
    inversions: number;
    /** Places passed over: not admitted while a later place was. */
    skipped: number;
    /** The most places one account holds in this queue (the primary key makes it 1). */
    maxPlacesPerAccount: number;
    places: number;
    /** Places of joins that reached the API before `opensAt`: their order drawn at random; the rest queued in arrival order. */
    drawnAtOpening: number;
  };
  sockets?: SocketReport;
}

interface PlaceRow {
  account_id: string;
  place: number | null;
  status: string;
  admitted_ms: number | null;
}

/** The event of the on-sale, created (with a waiting room far in the future) before the buyers get ready. */
export async function createOnSaleEvent(api: ApiClient, options: LoadOptions, organizer: Account, runId: string): Promise<RunEvent> {
  const queue = options.noQueue ? {} : { queue: { opensAt: new Date(Date.now() + PLACEHOLDER_OPENING_MS).toISOString(), ...(options.admitPerMinute > 0 ? { admitPerMinute: options.admitPerMinute } : {}) } };
  const body = { name: `On-sale ${runId}`, venue: 'Load test arena', startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(), priceCents: 4500, seating: options.seating, ...queue };
  const event = expectStatus(await api.post<Event | ErrorBody>('/api/events', body, organizer.token), [201], 'Creating the on-sale event');
  return newRunEvent(event.id, options.seating, false, 0);
}

/** One buyer: a customer with (in a queue) a place, the broadcasts it heard, and an outcome. */
class Buyer implements QueueListener {
  place: QueuePlace | undefined;
  broadcast: QueueMessage | undefined;
  prediction: { at: number; seconds: number } | undefined;
  outcome: BuyerOutcome | undefined;
  private booking = false;
  private fallback: NodeJS.Timeout | undefined;
  private quiet: NodeJS.Timeout | undefined;
  private finished!: () => void;
  readonly done = new Promise<void>((resolve) => (this.finished = resolve));

  constructor(
    readonly customer: Customer,
    private readonly sale: OnSale,
  ) {}

  get token(): string {
    return this.customer.token;
  }

  onQueue(message: QueueMessage, at: number): void {
    if (this.broadcast && message.version <= this.broadcast.version) return;
    this.broadcast = message;
    this.heard();
    this.consider(at);
  }

  onPlace(place: QueuePlace): void {
    clearTimeout(this.fallback);
    this.fallback = undefined;
    this.setPlace(place);
  }

  setPlace(place: QueuePlace): void {
    this.place = place;
    this.heard();
    this.consider(epochNow());
  }

  /** Something arrived: the quiet-period read moves out again. */
  private heard(): void {
    if (!this.sale.run.options.sockets || this.outcome) return;
    clearTimeout(this.quiet);
    this.quiet = setTimeout(() => {
      this.quiet = undefined;
      void this.sale.readPlace(this);
    }, QUIET_MS * (1 + Math.random()));
  }

  /** What the buyer does with what it knows now: book, give up, note its estimate, or ask for its place. */
  private consider(at: number): void {
    if (this.outcome || this.booking) return;
    const place = this.place;
    const broadcast = this.broadcast;
    if (place?.status === 'admitted' && place.admissionToken) return void this.book(place.admissionToken);
    if (place?.status === 'expired' || place?.status === 'closed' || place?.status === 'sold_out') return this.finish(place.status === 'sold_out' ? 'sold_out_waiting' : place.status);
    if (!place || !broadcast) return;
    if (broadcast.state === 'sold_out') return this.finish('sold_out_waiting');
    if (broadcast.state === 'closed') return this.finish('closed');
    // At the draw every place changes at once: the pushes get the same grace as any other.
    if (place.status === 'pre_queue' && broadcast.state === 'open') return this.scheduleRead(PLACE_PUSH_GRACE_MS + FALLBACK_JITTER_MS * Math.random());
    if (place.status !== 'waiting' || place.place === null) return;
    if (broadcast.admittedThrough >= place.place) return this.scheduleRead(PLACE_PUSH_GRACE_MS + FALLBACK_JITTER_MS * Math.random());
    // The first estimate the buyer could show after the draw: what the page would say.
    const seconds = estimatedWaitSeconds(positionOf(place.place, broadcast.admittedThrough), broadcast.admitPerMinute);
    if (!this.prediction && seconds !== null) this.prediction = { at, seconds };
  }

  /** The broadcast says our place must have changed, and our own message has not come: ask once. */
  scheduleRead(afterMs: number): void {
    if (this.fallback || this.outcome) return;
    this.fallback = setTimeout(() => {
      this.fallback = undefined;
      void this.sale.readPlace(this);
    }, afterMs);
  }

  async book(admissionToken?: string): Promise<void> {
    if (this.booking || this.outcome) return;
    this.booking = true;
    clearTimeout(this.fallback);
    const run = this.sale.run;
    const quantity = run.random.int(run.options.seatsPerRequest.min, run.options.seatsPerRequest.max);
    const { record } = await book(run, {
      event: this.sale.event,
      customer: this.customer,
      quantity,
      bestAvailable: true,
      paymentToken: 'tok_visa',
      holdThenPay: false,
      respondAsync: false,
      idempotencyKey: newIdempotencyKey(),
      ...(admissionToken ? { admissionToken } : {}),
    });
    this.booking = false;
    if (record.outcome === 'confirmed') this.finish('booked');
    else if (record.errorCode === 'sold_out') this.finish('sold_out_at_booking');
    else this.finish('not_booked');
  }

  finish(outcome: BuyerOutcome): void {
    if (this.outcome) return;
    clearTimeout(this.fallback);
    clearTimeout(this.quiet);
    this.outcome = outcome;
    this.finished();
  }

  /** The run is over: a buyer still waiting (or booking) is counted as unfinished. */
  abandon(): void {
    this.finish('unfinished');
  }
}

/** One on-sale run: its event, buyers, sockets and what they measured. */
export class OnSale {
  readonly buyers: Buyer[];
  private audience: QueueAudience | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private readonly joinLatencies: number[] = [];
  private readonly joinTimes: number[] = [];
  private readonly joinFailures: Record<string, number> = {};
  private placeReads = 0;
  private joined = 0;
  /** When the last join was answered (ms since the load started). */
  private joinsAnsweredAt = 0;
  private openingEpoch = 0;

  constructor(
    readonly run: RunContext,
    readonly event: RunEvent,
    private readonly stores: InvariantStores,
    private readonly log: (line: string) => void,
  ) {
    this.buyers = run.customers.map((customer) => new Buyer(customer, this));
  }

  private get options(): LoadOptions {
    return this.run.options;
  }

  /** The sale from the buyers' side, until each has an outcome or the run's time is up. */
  async drive(): Promise<void> {
    const run = this.run;
    if (!this.options.noQueue && this.options.sockets) await this.openSockets();
    this.openingEpoch = epochNow() + LEAD_MS + (this.options.noQueue ? 0 : this.options.joinSpreadMs);
    if (!this.options.noQueue) await this.setOpening(new Date(this.openingEpoch));
    this.log(`on-sale: ${this.buyers.length} buyers, opening in ${((this.openingEpoch - epochNow()) / 1000).toFixed(1)} s${this.options.noQueue ? ' (no queue: all book at the opening)' : ''}`);
    const everyone = Promise.all(
      this.buyers.map(async (buyer) => {
        if (this.options.noQueue) {
          await this.sleepUntil(this.openingEpoch + CLICK_SPREAD_MS * run.random.next());
          if (!run.stopping) await buyer.book();
          return;
        }
        // Joins spread evenly at random over the window before the opening, none at or after it.
        await this.sleepUntil(this.openingEpoch - this.options.joinSpreadMs + (this.options.joinSpreadMs - 100) * run.random.next());
        if (run.stopping) return;
        await this.join(buyer);
        if (!this.options.sockets) void this.poll(buyer);
      }),
    );
    await everyone;
    for (let i = 0; i < 10_000_000 && !run.stopping && this.buyers.some((buyer) => !buyer.outcome); i++) await delay(50);
    for (const buyer of this.buyers) buyer.abandon();
    await Promise.all(this.buyers.map((buyer) => buyer.done));
    run.stopping = true;
  }

  /** The milliseconds (since the load started) of the opening. */
  openingAtMs(): number {
    return this.openingEpoch - (epochNow() - this.run.now());
  }

  private async sleepUntil(epoch: number): Promise<void> {
    const wait = epoch - epochNow();
    if (wait > 0) await delay(wait);
  }

  private async openSockets(): Promise<void> {
    const started = epochNow();
    const wsUrl = `${this.options.baseUrl.replace(/^http/, 'ws')}/ws`;
    const audience = new QueueAudience(wsUrl, this.event.id);
    this.audience = audience;
    // The load script hears Postgres announce each change as the API does: the reference for delivery latency.
    const listening = await this.stores.shared.listen('waitroom_queues', (payload) => {
      const message = JSON.parse(payload) as { eventId?: string; version?: number };
      if (message.eventId === this.event.id && typeof message.version === 'number' && !audience.announced.has(message.version)) audience.announced.set(message.version, epochNow());
    });
    this.unlisten = () => listening.unlisten();
    await audience.open(this.buyers);
    this.log(`on-sale: ${this.buyers.length} sockets subscribed to the queue in ${((epochNow() - started) / 1000).toFixed(1)} s`);
  }

  private async setOpening(opensAt: Date): Promise<void> {
    const queue = { opensAt: opensAt.toISOString(), ...(this.options.admitPerMinute > 0 ? { admitPerMinute: this.options.admitPerMinute } : {}) };
    expectStatus(await this.run.api.request<Event | ErrorBody>('PATCH', `/api/events/${this.event.id}`, { token: this.run.organizer.token, body: { queue } }), [200], 'Setting the opening');
  }

  private async join(buyer: Buyer): Promise<void> {
    const started = epochNow();
    try {
      const answer = await this.run.api.post<QueuePlace | ErrorBody>(`/api/events/${this.event.id}/queue`, {}, buyer.token);
      this.joinLatencies.push(epochNow() - started);
      this.joinTimes.push(started - this.loadEpoch());
      this.joinsAnsweredAt = Math.max(this.joinsAnsweredAt, this.run.now());
      if (answer.status === 200 || answer.status === 201) {
        this.joined++;
        this.audience?.resubscribe(buyer);
        return buyer.setPlace(answer.body as QueuePlace);
      }
      const code = errorCodeOf(answer);
      this.joinFailures[code] = (this.joinFailures[code] ?? 0) + 1;
      buyer.finish(code === 'sold_out' ? 'sold_out_waiting' : 'join_failed');
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      this.joinFailures[error.code] = (this.joinFailures[error.code] ?? 0) + 1;
      buyer.finish('join_failed');
    }
  }

  /** One read of a buyer's place (the page's fallback; without sockets, its poll). */
  async readPlace(buyer: Buyer): Promise<void> {
    if (buyer.outcome || this.run.stopping) return;
    this.placeReads++;
    try {
      const answer = await this.run.api.get<QueuePlace | ErrorBody>(`/api/events/${this.event.id}/queue/me`, buyer.token);
      if (answer.status === 200) buyer.setPlace(answer.body as QueuePlace);
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
    }
  }

  /** --no-sockets: the buyer reads its place every few seconds instead (the polling a broadcast saves). */
  private async poll(buyer: Buyer): Promise<void> {
    while (!buyer.outcome && !this.run.stopping) {
      await delay(POLL_MS * (0.5 + this.run.random.next()));
      await this.readPlace(buyer);
    }
  }

  private loadEpoch(): number {
    return epochNow() - this.run.now();
  }

  async stop(): Promise<void> {
    this.audience?.close();
    await this.unlisten?.();
  }

  /** After the run has settled: the figures, from the buyers' records and from Postgres. */
  async report(): Promise<OnSaleReport> {
    const bookings = this.run.records.filter((record) => record.kind === 'reserve');
    const outcomes = { booked: 0, sold_out_waiting: 0, sold_out_at_booking: 0, not_booked: 0, expired: 0, closed: 0, join_failed: 0, unfinished: 0 } satisfies Record<BuyerOutcome, number>;
    for (const buyer of this.buyers) outcomes[buyer.outcome ?? 'unfinished']++;
    const openingAtMs = Math.round(this.openingAtMs());
    const report: OnSaleReport = {
      queue: !this.options.noQueue,
      buyers: this.buyers.length,
      openingAtMs,
      joins: {
        ok: this.joined,
        failedByReason: this.joinFailures,
        latency: latencyStats(this.joinLatencies),
        ...(this.joinTimes.length ? { firstMs: Math.round(Math.min(...this.joinTimes)), lastMs: Math.round(Math.max(...this.joinTimes)) } : {}),
      },
      outcomes,
      ...(this.event.soldOutAt !== undefined ? { timeToSellOutMs: Math.round(this.event.soldOutAt - openingAtMs) } : {}),
      bookingLatency: latencyStats(bookings.map((record) => record.latencyMs)),
      confirmedLatency: latencyStats(bookings.filter((record) => record.outcome === 'confirmed').map((record) => record.latencyMs)),
      bookingLatencyAfterJoins: latencyStats(bookings.filter((record) => record.start >= this.joinsAnsweredAt).map((record) => record.latencyMs)),
      answered202: bookings.filter((record) => record.answeredPending || record.status === 202).length,
      timeouts: bookings.filter((record) => ['client_timeout', 'pending_timeout'].includes(record.errorCode ?? '') || record.unresolved).length,
      retriedBookings: bookings.filter((record) => (record.retries ?? 0) > 0).length,
      placeReads: this.placeReads,
    };
    if (this.audience) report.sockets = this.audience.report();
    if (!this.options.noQueue) Object.assign(report, await this.queueFigures());
    return report;
  }

  /** Admission, estimate and fairness figures from waitroom.places, the queue's own record. */
  private async queueFigures(): Promise<Pick<OnSaleReport, 'admission' | 'estimate' | 'fairness'>> {
    const sql = this.stores.shared;
    const rows = await sql<PlaceRow[]>`
      SELECT account_id::text, place, status::text, extract(epoch FROM admitted_at) * 1000 AS admitted_ms
      FROM waitroom.places WHERE event_id = ${this.event.id}`;
    const [drawn] = await sql<{ count: number }[]>`
      SELECT count(*)::int AS count FROM waitroom.places p JOIN catalog.events e ON e.id = p.event_id
      WHERE p.event_id = ${this.event.id} AND p.joined_at < e.queue_opens_at`;
    const [perAccount] = await sql<{ max: number | null }[]>`
      SELECT max(n)::int AS max FROM (SELECT count(*) AS n FROM waitroom.places WHERE event_id = ${this.event.id} GROUP BY account_id) counted`;
    const admitted = rows.filter((row) => row.admitted_ms !== null).map((row) => ({ ...row, admitted_ms: Number(row.admitted_ms) }));
    const times = admitted.map((row) => row.admitted_ms - this.openingEpoch);
    const placed = rows.filter((row): row is PlaceRow & { place: number } => row.place !== null).sort((a, b) => a.place - b.place);
    const lastAdmittedPlace = Math.max(0, ...admitted.map((row) => row.place ?? 0));
    const byAccount = new Map(admitted.map((row) => [row.account_id, row.admitted_ms]));

    const errors: { pct: number; seconds: number; signedPct: number }[] = [];
    let unestimated = 0;
    for (const buyer of this.buyers) {
      const admittedAt = byAccount.get(buyer.customer.id);
      if (admittedAt === undefined) continue;
      if (!buyer.prediction) {
        unestimated++;
        continue;
      }
      const actual = (admittedAt - buyer.prediction.at) / 1000;
      if (actual <= 0) continue;
      const signedPct = ((buyer.prediction.seconds - actual) / actual) * 100;
      errors.push({ pct: Math.abs(signedPct), seconds: Math.abs(buyer.prediction.seconds - actual), signedPct });
    }
    const within = errors.filter((error) => error.pct <= ESTIMATE_TOLERANCE * 100).length;
    const pctStats = latencyStats(errors.map((error) => error.pct));
    return {
      admission: {
        admitted: admitted.length,
        ...(times.length ? { firstAfterOpeningMs: Math.round(Math.min(...times)), lastAfterOpeningMs: Math.round(Math.max(...times)) } : {}),
      },
      estimate: {
        predicted: errors.length,
        withinTolerance: within,
        withinShare: errors.length ? Math.round((within / errors.length) * 1000) / 1000 : 0,
        medianAbsErrorPct: pctStats.p50Ms,
        p90AbsErrorPct: pctStats.p90Ms,
        medianAbsErrorSeconds: latencyStats(errors.map((error) => error.seconds)).p50Ms,
        medianSignedErrorPct: median(errors.map((error) => error.signedPct)),
        unestimated,
      },
      fairness: {
        inversions: inversions(placed.filter((row) => row.admitted_ms !== null).map((row) => Number(row.admitted_ms))),
        skipped: placed.filter((row) => row.admitted_ms === null && row.place < lastAdmittedPlace).length,
        maxPlacesPerAccount: perAccount?.max ?? 0,
        places: placed.length,
        drawnAtOpening: drawn?.count ?? 0,
      },
    };
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round((sorted[Math.floor(sorted.length / 2)] ?? 0) * 10) / 10;
}

/** Pairs i < j with values[i] > values[j] (merge sort, O(n log n)); equal values (one batch) are no inversion. */
export function inversions(values: readonly number[]): number {
  const sort = (items: number[]): [number[], number] => {
    if (items.length < 2) return [items, 0];
    const middle = items.length >> 1;
    const [left, a] = sort(items.slice(0, middle));
    const [right, b] = sort(items.slice(middle));
    const merged: number[] = [];
    let count = a + b;
    let i = 0;
    let j = 0;
    while (i < left.length && j < right.length) {
      if (left[i]! <= right[j]!) merged.push(left[i++]!);
      else {
        merged.push(right[j++]!);
        count += left.length - i;
      }
    }
    return [[...merged, ...left.slice(i), ...right.slice(j)], count];
  };
  return sort([...values])[1];
}
