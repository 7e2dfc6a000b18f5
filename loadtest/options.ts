import { config } from '../lib/config.js';
import type { Seating } from '../lib/seating.js';
import { checkFlags, OptionsError, parseFlags, parseNumber, usageText, type Given } from './cli-flags.js';
import { crossFlagProblem, GENERAL_ADMISSION_CAPACITY, loadFlags } from './load-flags.js';
import { scenarios, type ScenarioName } from './scenarios.js';

export { OptionsError, parseDuration } from './cli-flags.js';
export { parseRate, parseSeatCount } from './load-flags.js';

/**
 * Everything a load run can vary. A run starts from `defaultOptions()`, applies its scenario's preset,
 * then the flags given on the command line (or the test's overrides): flags always win.
 */
export interface LoadOptions {
  // Each field's flag, description and check are in load-flags.ts.
  scenario?: ScenarioName;
  baseUrl: string;
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
  /** Send `Prefer: respond-async`: every booking is answered 202 at once and followed until it settles. */
  respondAsync: boolean;
  /** Probability that a client's next action cancels one of its confirmed bookings instead of booking. */
  cancelRate: number;
  createDeleteEvents: boolean;
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
export function defaultOptions(): LoadOptions {
  const cfg = config();
  return {
    baseUrl: 'http://localhost:3000',
    databaseUrl: cfg.DATABASE_URL,
    temporalAddress: cfg.TEMPORAL_ADDRESS,
    connections: 80,
    mode: 'closed',
    ratePerSecond: 100,
    durationMs: 10_000,
    untilSoldOut: false,
    maxDurationMs: 120_000,
    seatsPerRequest: { min: 1, max: 1 },
    contention: 'random',
    hotSeats: 6,
    seating: { type: 'reserved', rows: 10, seatsPerRow: 20 },
    events: 1,
    eventIds: [],
    organizer: 'new',
    customers: 20,
    seatKnowledge: 'shared',
    paymentFailureRate: 0,
    slowPaymentRate: 0,
    holdThenPay: false,
    respondAsync: false,
    cancelRate: 0,
    createDeleteEvents: false,
    sameRequest: 'off',
    protocol: 'saga',
    settleTimeoutMs: 120_000,
    requestTimeoutMs: 30_000,
    pendingTimeoutMs: 120_000,
    seed: 1,
    progress: 'auto',
  };
}

/** Defaults, then the scenario's preset, then the overrides; validated. */
export function resolveOptions(overrides: Partial<LoadOptions> = {}): LoadOptions {
  const scenario = overrides.scenario;
  const preset = scenario ? scenarios[scenario].options : {};
  const merged: LoadOptions = { ...defaultOptions(), ...preset, ...overrides };
  // A preset's sell-out run becomes a fixed-length run when a duration is given, and vice versa.
  if (overrides.durationMs !== undefined && overrides.untilSoldOut === undefined) merged.untilSoldOut = false;
  checkFlags(loadFlags, merged);
  const problem = crossFlagProblem(merged);
  if (problem) throw new OptionsError(problem);
  return merged;
}

export function usage(): string {
  return usageText(loadFlags, defaultOptions(), 'Usage: npm run loadtest -- [options]\n\nDrives the Boxoffice HTTP API of a running stack, then checks every invariant in Postgres.');
}

/** The command line → options. Throws OptionsError with a message meant for the user. */
export function parseCommandLine(argv: readonly string[]): { options: LoadOptions; help: boolean } {
  const { values, given, help } = parseFlags(loadFlags, argv);
  if (given.duration !== undefined && given['until-sold-out'] === true) throw new OptionsError('Choose --duration or --until-sold-out (with --max-duration), not both');
  if (given.rate !== undefined && given.mode === undefined) values.mode = 'open';
  const seating = seatingFrom(given, values.scenario);
  if (seating) values.seating = seating;
  return { options: resolveOptions(values), help };
}

const text = (given: Given, name: string): string | undefined => (typeof given[name] === 'string' ? given[name] : undefined);
const sizeFrom = (given: Given, name: string): number | undefined => {
  const value = text(given, name);
  return value === undefined ? undefined : parseNumber(value, `--${name}`);
};

/** --seating with its size flags; a size flag alone adjusts the preset's (or default) seating. */
function seatingFrom(given: Given, scenario: ScenarioName | undefined): Seating | undefined {
  const [kind, rows, seatsPerRow, capacity] = [text(given, 'seating'), sizeFrom(given, 'rows'), sizeFrom(given, 'seats-per-row'), sizeFrom(given, 'capacity')];
  if (kind === undefined && rows === undefined && seatsPerRow === undefined && capacity === undefined) return undefined;
  const base = (scenario ? scenarios[scenario].options.seating : undefined) ?? defaultOptions().seating;
  const type = kind === undefined ? (capacity !== undefined ? 'general' : rows !== undefined || seatsPerRow !== undefined ? 'reserved' : base.type) : oneOfSeating(kind);
  if (type === 'general') {
    if (rows !== undefined || seatsPerRow !== undefined) throw new OptionsError('--rows and --seats-per-row are for --seating reserved; general admission takes --capacity');
    return { type, capacity: capacity ?? (base.type === 'general' ? base.capacity : GENERAL_ADMISSION_CAPACITY) };
  }
  if (capacity !== undefined) throw new OptionsError('--capacity is for --seating general; reserved seating takes --rows and --seats-per-row');
  return {
    type,
    rows: rows ?? (base.type === 'reserved' ? base.rows : 10),
    seatsPerRow: seatsPerRow ?? (base.type === 'reserved' ? base.seatsPerRow : 20),
  };
}

function oneOfSeating(kind: string): Seating['type'] {
  if (kind !== 'reserved' && kind !== 'general') throw new OptionsError(`--seating ${kind}: choose one of reserved, general`);
  return kind;
}
