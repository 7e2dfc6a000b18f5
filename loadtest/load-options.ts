import type { Seating } from '../lib/seating.js';

/** The presets' names (their options are in scenarios.ts). */
export const scenarioNames = ['high-load', 'small-load', 'sellout', 'same-request-flood', 'two-clients-race', 'churn', 'seed-002', 'onsale'] as const;
export type ScenarioName = (typeof scenarioNames)[number];

/**
 * Everything a load run can vary. A run starts from `defaultOptions()`, applies its scenario's preset,
 * then the flags given on the command line (or the test's overrides): flags always win.
 */
export interface LoadOptions {
  // Each field's flag, description and check are in load-flags.ts.
  scenario?: ScenarioName;
  baseUrl: string;
  /** More API processes of the same stack: requests go round-robin over all of them, and fail over when one refuses connections. */
  alsoBaseUrls: string[];
  /** Owner connection for the invariant check. */
  databaseUrl: string;
  temporalAddress: string;
  /** Closed mode: concurrent clients. Open mode: the cap on requests in flight. */
  connections: number;
  mode: 'closed' | 'open';
  /** Open mode: new booking attempts per second, whatever the answers. */
  ratePerSecond: number;
  /** Fixed-length run: stop starting attempts after this. */
  durationMs: number;
  /** Run until every seat of the run's events is sold, bounded by `maxDurationMs`. */
  untilSoldOut: boolean;
  maxDurationMs: number;
  /** Seats (reserved) or tickets (general admission) per booking, drawn uniformly from the range. */
  seatsPerRequest: SeatCount;
  /** random: the crowd spreads over the room; hot: everyone wants the best few remaining seats. */
  contention: 'random' | 'hot';
  /** Hot contention: how many "best" seats everyone fights over. */
  hotSeats: number;
  seating: Seating;
  /** How many events to create for the run (ignored when `eventIds` names existing ones). */
  events: number;
  eventIds: string[];
  /** Register a fresh organizer, or log in as the demo organizer. */
  organizer: 'new' | 'demo';
  /** Customer accounts; connection i books as customer i mod customers. */
  customers: number;
  /** shared: every client sees every answer (a live seat map); per-client: each learns only from its own. */
  seatKnowledge: 'shared' | 'per-client';
  paymentFailureRate: number;
  /** Probability of paying with tok_slow (the simulated gateway takes 2 s). */
  slowPaymentRate: number;
  holdThenPay: boolean;
  /** Reserved seating: ask for a quantity with `bestAvailable: true`; the house picks the seats. */
  bestAvailable: boolean;
  /** Send `Prefer: respond-async`: every booking is answered 202 at once and followed until it settles. */
  respondAsync: boolean;
  /** Probability that a client's next action cancels one of its confirmed bookings instead of booking. */
  cancelRate: number;
  createDeleteEvents: boolean;
  /**
   * An on-sale (issue 14, loadtest/onsale.ts): one event opens for sale; each customer is one buyer who
   * joins its waiting room within `joinSpreadMs` before the opening and books once admitted (or, with
   * `noQueue`, sends the booking at the opening). `connections` and `mode` do not apply.
   */
  onSale: boolean;
  /** On-sale: the event has no waiting room; every buyer books at the opening. */
  noQueue: boolean;
  /** On-sale: the buyers' joins spread over this long before the opening. */
  joinSpreadMs: number;
  /** On-sale: the queue's fixed `admitPerMinute`; 0 lets the rate adapt. */
  admitPerMinute: number;
  /** On-sale: each buyer also keeps a socket on the queue's broadcast (the page's way), measured. */
  sockets: boolean;
  /** Repeat one identical request instead of fresh ones: with one Idempotency-Key, without, or half each. */
  sameRequest: 'off' | 'keyed' | 'unkeyed' | 'both';
  /** How the bookings are made: the saga, or two-phase commit (the Booking-Protocol header). */
  protocol: 'saga' | '2pc';
  /** Time allowed, after the load, for every reservation and workflow to settle and the projection to catch up. */
  settleTimeoutMs: number;
  /** Per HTTP call; a booking attempt answered 202 is then polled for up to `pendingTimeoutMs`. */
  requestTimeoutMs: number;
  pendingTimeoutMs: number;
  seed: number;
  out?: string;
  html?: string;
  /** Also write each chart as a standalone SVG file here (for docs). */
  chartsDir?: string;
  progress: 'auto' | 'tty' | 'lines' | 'off';
}

export interface SeatCount {
  min: number;
  max: number;
}

/** Read when a run is resolved, not at import: the database and Temporal defaults come from the environment. */
