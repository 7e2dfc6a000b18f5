import { MAX_GENERAL_CAPACITY, MAX_ROWS, MAX_SEATS_PER_ROW } from '../lib/seating.js';
import {
  baseUrlFlag,
  choiceFlag,
  durationFlag,
  numberFlag,
  oneOf,
  OptionsError,
  probabilityFlag,
  switchFlag,
  textFlag,
  wholeNumberFlag,
  wholeNumberProblem,
  type Flag,
} from './cli-flags.js';
import type { LoadOptions, SeatCount } from './load-options.js';
import { scenarioNames } from './load-options.js';

/** Capacity of a general-admission room when --seating general is given without --capacity. */
export const GENERAL_ADMISSION_CAPACITY = 1000;

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

const reservedSize = (field: 'rows' | 'seatsPerRow') => (options: LoadOptions) => (options.seating.type === 'reserved' ? String(options.seating[field]) : undefined);

/**
 * Every flag of `npm run loadtest`, in the order of the usage text. The seating flags (--seating,
 * --rows, --seats-per-row, --capacity) have no `set`: options.ts combines them with the preset's room.
 */
export const loadFlags: readonly Flag<LoadOptions>[] = [
  {
    kind: 'value',
    name: 'scenario',
    placeholder: 'NAME',
    description: `preset: ${scenarioNames.join(', ')} (flags override it)`,
    set: (into, text, flag) => (into.scenario = oneOf(text, scenarioNames, flag)),
  },
  baseUrlFlag('base-url', 'baseUrl', 'API to drive'),
  {
    kind: 'value',
    name: 'also-base-url',
    placeholder: 'URL',
    multiple: true,
    description: 'another API process of the same stack: requests go round-robin, and fail over when one is down',
    set: (into, text) => (into.alsoBaseUrls = [...(into.alsoBaseUrls ?? []), text.replace(/\/+$/, '')]),
    check: (options) => (options.alsoBaseUrls.every((url) => /^http:\/\/[^/]+/.test(url)) ? undefined : '--also-base-url must be an http:// URL'),
  },
  textFlag('database-url', 'databaseUrl', 'URL', 'owner connection for the invariant check ($DATABASE_URL)'),
  wholeNumberFlag('connections', 'connections', { min: 1, max: 2000 }, 'concurrent clients; in open mode the cap on requests in flight'),
  durationFlag('duration', 'durationMs', 'fixed-length run'),
  switchFlag('until-sold-out', 'untilSoldOut', 'run until every seat is sold (bounded by --max-duration)'),
  durationFlag('max-duration', 'maxDurationMs', 'the bound of --until-sold-out'),
  choiceFlag('mode', 'mode', ['closed', 'open'] as const, 'closed: each client waits for its answer; open: fixed arrival rate'),
  {
    kind: 'value',
    name: 'rate',
    placeholder: 'N/s',
    description: "open mode's arrival rate (implies --mode open)",
    shown: (defaults) => `${defaults.ratePerSecond}/s`,
    set: (into, text) => (into.ratePerSecond = parseRate(text)),
    check: (options) => (options.mode !== 'open' || (options.ratePerSecond > 0 && options.ratePerSecond <= 10_000) ? undefined : '--rate must be between 0 and 10000 per second'),
  },
  {
    kind: 'value',
    name: 'seats-per-request',
    placeholder: 'N|A..B',
    description: 'seats (reserved) or tickets (general admission) per booking, 1 to 4',
    shown: ({ seatsPerRequest: { min, max } }) => (min === max ? String(min) : `${min}..${max}`),
    set: (into, text) => (into.seatsPerRequest = parseSeatCount(text)),
    check: ({ seatsPerRequest: { min, max } }) => wholeNumberProblem('--seats-per-request', min, 1, 4) ?? wholeNumberProblem('--seats-per-request', max, min, 4),
  },
  choiceFlag('contention', 'contention', ['random', 'hot'] as const, 'hot: everyone wants the same best few seats'),
  wholeNumberFlag('hot-seats', 'hotSeats', { min: 1, max: 1000 }, 'how many best seats hot contention fights over'),
  {
    kind: 'value',
    name: 'seating',
    placeholder: 'reserved|general',
    description: 'reserved: --rows x --seats-per-row; general admission: --capacity',
    shown: (defaults) => defaults.seating.type,
    check: (options) => (options.seating.type === 'reserved' || options.seating.type === 'general' ? undefined : '--seating: choose one of reserved, general'),
  },
  {
    kind: 'value',
    name: 'rows',
    placeholder: 'R',
    description: `rows of a reserved room, up to ${MAX_ROWS}`,
    shown: reservedSize('rows'),
    check: (options) => (options.seating.type === 'reserved' ? wholeNumberProblem('--rows', options.seating.rows, 1, MAX_ROWS) : undefined),
  },
  {
    kind: 'value',
    name: 'seats-per-row',
    placeholder: 'S',
    description: `seats per row of a reserved room, up to ${MAX_SEATS_PER_ROW}`,
    shown: reservedSize('seatsPerRow'),
    check: (options) => (options.seating.type === 'reserved' ? wholeNumberProblem('--seats-per-row', options.seating.seatsPerRow, 1, MAX_SEATS_PER_ROW) : undefined),
  },
  {
    kind: 'value',
    name: 'capacity',
    placeholder: 'N',
    description: `tickets of a general-admission room, up to ${MAX_GENERAL_CAPACITY}`,
    shown: () => String(GENERAL_ADMISSION_CAPACITY),
    check: (options) => (options.seating.type === 'general' ? wholeNumberProblem('--capacity', options.seating.capacity, 1, MAX_GENERAL_CAPACITY) : undefined),
  },
  wholeNumberFlag('events', 'events', { min: 1, max: 50 }, 'events to create'),
  {
    kind: 'value',
    name: 'event',
    placeholder: 'ID',
    multiple: true,
    description: 'book this existing event instead of creating new ones',
    set: (into, text) => (into.eventIds = [...(into.eventIds ?? []), text]),
  },
  choiceFlag('organizer', 'organizer', ['new', 'demo'] as const, 'register an organizer, or log in as organizer@boxoffice.test'),
  wholeNumberFlag('customers', 'customers', { min: 1, max: 5000 }, 'customer accounts to make (an on-sale: its buyers)'),
  choiceFlag('seat-knowledge', 'seatKnowledge', ['shared', 'per-client'] as const, "what a client knows about other clients' seats"),
  probabilityFlag('payment-failure-rate', 'paymentFailureRate', 'pay with tok_declined with probability p'),
  probabilityFlag('slow-payment-rate', 'slowPaymentRate', 'pay with tok_slow (a 2 s gateway call) with probability p'),
  switchFlag('hold-then-pay', 'holdThenPay', 'hold without a payment token, then POST /api/reservations/:id/pay'),
  switchFlag('best-available', 'bestAvailable', 'reserved seating: ask for --seats-per-request seats with bestAvailable: true, and the house picks them (docs/best-available.md)'),
  switchFlag('respond-async', 'respondAsync', 'send Prefer: respond-async (answered 202 at once, then followed until settled)'),
  probabilityFlag('cancel-rate', 'cancelRate', "with probability p a client's next action cancels one of its confirmed bookings"),
  switchFlag('create-delete-events', 'createDeleteEvents', 'create and delete extra events while booking runs'),
  switchFlag('on-sale', 'onSale', 'an on-sale: every customer joins one event\'s waiting room before it opens and books once admitted (--scenario onsale)'),
  switchFlag('no-queue', 'noQueue', 'on-sale without a waiting room: every buyer books at the opening'),
  durationFlag('join-spread', 'joinSpreadMs', 'on-sale: the joins spread over this long before the opening'),
  wholeNumberFlag('admit-per-minute', 'admitPerMinute', { min: 0, max: 100_000 }, 'on-sale: the queue\'s fixed admission rate (0: adaptive)'),
  {
    kind: 'switch',
    name: 'no-sockets',
    description: 'on-sale: the buyers keep no socket on the queue broadcast (they read their place over HTTP instead)',
    set: (into) => (into.sockets = false),
  },
  choiceFlag('same-request', 'sameRequest', ['off', 'keyed', 'unkeyed', 'both'] as const, 'repeat one identical request (with one Idempotency-Key, without, half each)'),
  choiceFlag('protocol', 'protocol', ['saga', '2pc'] as const, 'book by saga or by two-phase commit (docs/saga-vs-2pc.md)'),
  numberFlag('seed', 'seed', 'random seed'),
  textFlag('out', 'out', 'FILE.json|DIR', 'write the results there (a directory gets <scenario>-<run id>.json)'),
  textFlag('html', 'html', 'FILE.html|DIR', 'write the report there (a directory gets <scenario>-<run id>.html)'),
  textFlag('charts-dir', 'chartsDir', 'DIR', 'also write each chart as a standalone SVG file'),
  durationFlag('settle-timeout', 'settleTimeoutMs', 'time for everything to settle after the load'),
  durationFlag('request-timeout', 'requestTimeoutMs', 'per HTTP call'),
  durationFlag('pending-timeout', 'pendingTimeoutMs', 'how long a booking answered 202 is followed'),
  choiceFlag('progress', 'progress', ['auto', 'tty', 'lines', 'off'] as const, 'the live progress line'),
];

/** Rules across flags, on the resolved options. */
export function crossFlagProblem(options: LoadOptions): string | undefined {
  if (options.protocol === '2pc' && options.holdThenPay) return '--hold-then-pay needs --protocol saga: two-phase commit books and pays at once';
  if (options.bestAvailable && options.seating.type !== 'reserved') return '--best-available needs --seating reserved: general admission has no seats to choose';
  if (options.bestAvailable && options.sameRequest !== 'off') return '--best-available and --same-request: choose one';
  if (options.noQueue && !options.onSale) return '--no-queue is for an on-sale (--scenario onsale or --on-sale)';
  if (options.onSale && options.seating.type !== 'reserved') return 'an on-sale books best available: it needs --seating reserved';
  if (options.onSale && options.eventIds.length > 0) return 'an on-sale creates its own event: --event does not apply';
  if (options.paymentFailureRate + options.slowPaymentRate > 1) return '--payment-failure-rate and --slow-payment-rate add up to more than 1';
  return undefined;
}
