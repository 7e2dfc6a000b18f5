import { parseArgs } from 'node:util';
import { MAX_GENERAL_CAPACITY, MAX_ROWS, MAX_SEATS_PER_ROW, type Seating } from '../lib/seating.js';
import { isScenarioName, scenarioNames, scenarios, type ScenarioName } from './scenarios.js';

/**
 * Everything a load run can vary. A run starts from `defaultOptions`, applies its scenario's preset,
 * then the flags given on the command line (or the test's overrides): flags always win.
 */
export interface LoadOptions {
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

export const defaultOptions: LoadOptions = {
  baseUrl: 'http://localhost:3000',
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/boxoffice',
  temporalAddress: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
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

export class OptionsError extends Error {
  override name = 'OptionsError';
}

/** Defaults, then the scenario's preset, then the overrides; validated. */
export function resolveOptions(overrides: Partial<LoadOptions> = {}): LoadOptions {
  const scenario = overrides.scenario;
  const preset = scenario ? scenarios[scenario].options : {};
  const merged: LoadOptions = { ...defaultOptions, ...preset, ...overrides };
  // A preset's sell-out run becomes a fixed-length run when a duration is given, and vice versa.
  if (overrides.durationMs !== undefined && overrides.untilSoldOut === undefined) merged.untilSoldOut = false;
  validate(merged);
  return merged;
}

function validate(options: LoadOptions): void {
  const fail = (message: string): never => {
    throw new OptionsError(message);
  };
  if (options.protocol !== 'saga' && options.protocol !== '2pc') fail(`--protocol must be saga or 2pc, not ${String(options.protocol)}`);
  if (options.protocol === '2pc' && options.holdThenPay) fail('--hold-then-pay needs --protocol saga: two-phase commit books and pays at once');
  intIn('--connections', options.connections, 1, 2000);
  intIn('--seats-per-request', options.seatsPerRequest.min, 1, 4);
  intIn('--seats-per-request', options.seatsPerRequest.max, options.seatsPerRequest.min, 4);
  intIn('--events', options.events, 1, 50);
  intIn('--customers', options.customers, 1, 500);
  intIn('--hot-seats', options.hotSeats, 1, 1000);
  if (options.mode === 'open' && !(options.ratePerSecond > 0 && options.ratePerSecond <= 10_000)) fail('--rate must be between 0 and 10000 per second');
  if (!(options.durationMs > 0) || !(options.maxDurationMs > 0)) fail('--duration and --max-duration must be positive');
  for (const [flag, p] of [['--payment-failure-rate', options.paymentFailureRate], ['--slow-payment-rate', options.slowPaymentRate], ['--cancel-rate', options.cancelRate]] as const) {
    if (!(p >= 0 && p <= 1)) fail(`${flag} must be a probability between 0 and 1`);
  }
  if (options.paymentFailureRate + options.slowPaymentRate > 1) fail('--payment-failure-rate and --slow-payment-rate add up to more than 1');
  if (options.seating.type === 'reserved') {
    intIn('--rows', options.seating.rows, 1, MAX_ROWS);
    intIn('--seats-per-row', options.seating.seatsPerRow, 1, MAX_SEATS_PER_ROW);
  } else {
    intIn('--capacity', options.seating.capacity, 1, MAX_GENERAL_CAPACITY);
  }
  try {
    const url = new URL(options.baseUrl);
    if (url.protocol !== 'http:') fail('--base-url must be an http:// URL');
  } catch (error) {
    if (error instanceof OptionsError) throw error;
    fail(`--base-url ${options.baseUrl} is not a URL`);
  }
}

function intIn(flag: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new OptionsError(`${flag} must be a whole number from ${min} to ${max} (got ${value})`);
}

/** "10s", "500ms", "2m" or a bare number of seconds. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match?.[1]) throw new OptionsError(`${flag} ${text}: write it like 10s, 500ms or 2m`);
  const value = Number(match[1]);
  const unit = match[2] ?? 's';
  return Math.round(unit === 'ms' ? value : unit === 'm' ? value * 60_000 : value * 1000);
}

/** "100/s" or "100". */
export function parseRate(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(text.trim());
  if (!match?.[1]) throw new OptionsError(`--rate ${text}: write it like 100/s`);
  return Number(match[1]);
}

/** "2", or a range "1..4" / "1-4" drawn uniformly per booking. */
export function parseSeatCount(text: string): SeatCount {
  const match = /^(\d+)(?:(?:\.\.|-)(\d+))?$/.exec(text.trim());
  if (!match?.[1]) throw new OptionsError(`--seats-per-request ${text}: write a number from 1 to 4, or a range like 1..4`);
  const min = Number(match[1]);
  return { min, max: match[2] ? Number(match[2]) : min };
}

function parseNumber(text: string, flag: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new OptionsError(`${flag} ${text} is not a number`);
  return value;
}

function oneOf<T extends string>(text: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(text)) throw new OptionsError(`${flag} ${text}: choose one of ${allowed.join(', ')}`);
  return text as T;
}

export const usage = `Usage: npm run loadtest -- [options]

Drives the Boxoffice HTTP API of a running stack, then checks every invariant in Postgres.

  --scenario NAME            preset: ${scenarioNames.join(', ')} (flags override it)
  --base-url URL             API to drive (default http://localhost:3000)
  --database-url URL         owner connection for the invariant check (default $DATABASE_URL or postgres://postgres@127.0.0.1:5432/boxoffice)
  --connections N            concurrent clients; in open mode the cap on requests in flight (default 80)
  --duration 10s             fixed-length run (default 10s)
  --until-sold-out           run until every seat is sold (bounded by --max-duration, default 120s)
  --mode closed|open         closed: each client waits for its answer; open: fixed arrival rate
  --rate N/s                 open mode's arrival rate (default 100/s)
  --seats-per-request N|A..B seats (reserved) or tickets (general admission) per booking, 1 to 4 (default 1)
  --contention random|hot    hot: everyone wants the same best few seats (--hot-seats, default 6)
  --seating reserved --rows R --seats-per-row S | --seating general --capacity N
  --events N                 events to create (default 1); --event ID (repeatable) books existing ones
  --organizer new|demo       register an organizer, or log in as organizer@boxoffice.test
  --customers N              customer accounts to register (default 20)
  --seat-knowledge shared|per-client   what a client knows about other clients' seats
  --payment-failure-rate p   pay with tok_declined with probability p
  --slow-payment-rate p      pay with tok_slow (a 2 s gateway call) with probability p
  --hold-then-pay            hold without a payment token, then POST /api/reservations/:id/pay
  --respond-async            send Prefer: respond-async (answered 202 at once, then followed until settled)
  --cancel-rate p            with probability p a client's next action cancels one of its confirmed bookings
  --create-delete-events     create and delete extra events while booking runs
  --same-request keyed|unkeyed|both   repeat one identical request (with one Idempotency-Key, without, half each)
  --protocol saga|2pc        book by saga (default) or by two-phase commit (docs/saga-vs-2pc.md)
  --seed N                   random seed (default 1)
  --out FILE.json --html FILE.html --charts-dir DIR   results, report, standalone SVG charts
  --settle-timeout 120s --request-timeout 30s --pending-timeout 120s
  --progress auto|tty|lines|off
`;

/** The command line → options. Throws OptionsError with a message meant for the user. */
export function parseCommandLine(argv: readonly string[]): { options: LoadOptions; help: boolean } {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      scenario: { type: 'string' },
      'base-url': { type: 'string' },
      'database-url': { type: 'string' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      'until-sold-out': { type: 'boolean' },
      'max-duration': { type: 'string' },
      mode: { type: 'string' },
      rate: { type: 'string' },
      'seats-per-request': { type: 'string' },
      contention: { type: 'string' },
      'hot-seats': { type: 'string' },
      seating: { type: 'string' },
      rows: { type: 'string' },
      'seats-per-row': { type: 'string' },
      capacity: { type: 'string' },
      events: { type: 'string' },
      event: { type: 'string', multiple: true },
      organizer: { type: 'string' },
      customers: { type: 'string' },
      'seat-knowledge': { type: 'string' },
      'payment-failure-rate': { type: 'string' },
      'hold-then-pay': { type: 'boolean' },
      'respond-async': { type: 'boolean' },
      'cancel-rate': { type: 'string' },
      'create-delete-events': { type: 'boolean' },
      'same-request': { type: 'string' },
      protocol: { type: 'string' },
      'slow-payment-rate': { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      html: { type: 'string' },
      'charts-dir': { type: 'string' },
      'settle-timeout': { type: 'string' },
      'request-timeout': { type: 'string' },
      'pending-timeout': { type: 'string' },
      progress: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new OptionsError(`Unexpected argument ${positionals[0]}: options start with --`);
  const o: Partial<LoadOptions> = {};
  if (values.scenario !== undefined) {
    if (!isScenarioName(values.scenario)) throw new OptionsError(`--scenario ${values.scenario}: choose one of ${scenarioNames.join(', ')}`);
    o.scenario = values.scenario;
  }
  if (values['base-url'] !== undefined) o.baseUrl = values['base-url'].replace(/\/+$/, '');
  if (values['database-url'] !== undefined) o.databaseUrl = values['database-url'];
  if (values.connections !== undefined) o.connections = parseNumber(values.connections, '--connections');
  if (values.duration !== undefined && values['until-sold-out']) throw new OptionsError('Choose --duration or --until-sold-out (with --max-duration), not both');
  if (values.duration !== undefined) o.durationMs = parseDuration(values.duration, '--duration');
  if (values['until-sold-out']) o.untilSoldOut = true;
  if (values['max-duration'] !== undefined) o.maxDurationMs = parseDuration(values['max-duration'], '--max-duration');
  if (values.mode !== undefined) o.mode = oneOf(values.mode, ['closed', 'open'] as const, '--mode');
  if (values.rate !== undefined) o.ratePerSecond = parseRate(values.rate);
  if (values.rate !== undefined && values.mode === undefined) o.mode = 'open';
  if (values['seats-per-request'] !== undefined) o.seatsPerRequest = parseSeatCount(values['seats-per-request']);
  if (values.contention !== undefined) o.contention = oneOf(values.contention, ['random', 'hot'] as const, '--contention');
  if (values['hot-seats'] !== undefined) o.hotSeats = parseNumber(values['hot-seats'], '--hot-seats');
  const seating = seatingFrom(values.seating, values.rows, values['seats-per-row'], values.capacity, o.scenario);
  if (seating) o.seating = seating;
  if (values.events !== undefined) o.events = parseNumber(values.events, '--events');
  if (values.event !== undefined) o.eventIds = values.event;
  if (values.organizer !== undefined) o.organizer = oneOf(values.organizer, ['new', 'demo'] as const, '--organizer');
  if (values.customers !== undefined) o.customers = parseNumber(values.customers, '--customers');
  if (values['seat-knowledge'] !== undefined) o.seatKnowledge = oneOf(values['seat-knowledge'], ['shared', 'per-client'] as const, '--seat-knowledge');
  if (values['payment-failure-rate'] !== undefined) o.paymentFailureRate = parseNumber(values['payment-failure-rate'], '--payment-failure-rate');
  if (values['hold-then-pay']) o.holdThenPay = true;
  if (values['respond-async']) o.respondAsync = true;
  if (values['cancel-rate'] !== undefined) o.cancelRate = parseNumber(values['cancel-rate'], '--cancel-rate');
  if (values['create-delete-events']) o.createDeleteEvents = true;
  if (values['same-request'] !== undefined) o.sameRequest = oneOf(values['same-request'], ['off', 'keyed', 'unkeyed', 'both'] as const, '--same-request');
  if (values.protocol !== undefined) o.protocol = oneOf(values.protocol, ['saga', '2pc'] as const, '--protocol');
  if (values['slow-payment-rate'] !== undefined) o.slowPaymentRate = parseNumber(values['slow-payment-rate'], '--slow-payment-rate');
  if (values.seed !== undefined) o.seed = parseNumber(values.seed, '--seed');
  if (values.out !== undefined) o.out = values.out;
  if (values.html !== undefined) o.html = values.html;
  if (values['charts-dir'] !== undefined) o.chartsDir = values['charts-dir'];
  if (values['settle-timeout'] !== undefined) o.settleTimeoutMs = parseDuration(values['settle-timeout'], '--settle-timeout');
  if (values['request-timeout'] !== undefined) o.requestTimeoutMs = parseDuration(values['request-timeout'], '--request-timeout');
  if (values['pending-timeout'] !== undefined) o.pendingTimeoutMs = parseDuration(values['pending-timeout'], '--pending-timeout');
  if (values.progress !== undefined) o.progress = oneOf(values.progress, ['auto', 'tty', 'lines', 'off'] as const, '--progress');
  return { options: resolveOptions(o), help: values.help === true };
}

/** --seating with its size flags; a size flag alone adjusts the preset's (or default) seating. */
function seatingFrom(kind: string | undefined, rows: string | undefined, seatsPerRow: string | undefined, capacity: string | undefined, scenario: ScenarioName | undefined): Seating | undefined {
  if (kind === undefined && rows === undefined && seatsPerRow === undefined && capacity === undefined) return undefined;
  const base = (scenario ? scenarios[scenario].options.seating : undefined) ?? defaultOptions.seating;
  const type = kind === undefined ? (capacity !== undefined ? 'general' : rows !== undefined || seatsPerRow !== undefined ? 'reserved' : base.type) : oneOf(kind, ['reserved', 'general'] as const, '--seating');
  if (type === 'general') {
    if (rows !== undefined || seatsPerRow !== undefined) throw new OptionsError('--rows and --seats-per-row are for --seating reserved; general admission takes --capacity');
    return { type, capacity: capacity !== undefined ? parseNumber(capacity, '--capacity') : base.type === 'general' ? base.capacity : 1000 };
  }
  if (capacity !== undefined) throw new OptionsError('--capacity is for --seating general; reserved seating takes --rows and --seats-per-row');
  return {
    type,
    rows: rows !== undefined ? parseNumber(rows, '--rows') : base.type === 'reserved' ? base.rows : 10,
    seatsPerRow: seatsPerRow !== undefined ? parseNumber(seatsPerRow, '--seats-per-row') : base.type === 'reserved' ? base.seatsPerRow : 20,
  };
}
