import { config } from '../lib/config.js';
import type { Seating } from '../lib/seating.js';
import { checkFlags, OptionsError, parseFlags, parseNumber, usageText, type Given } from './cli-flags.js';
import { crossFlagProblem, GENERAL_ADMISSION_CAPACITY, loadFlags } from './load-flags.js';
import type { LoadOptions } from './load-options.js';
import { scenarios, type ScenarioName } from './scenarios.js';

export { OptionsError, parseDuration } from './cli-flags.js';
export { parseRate, parseSeatCount } from './load-flags.js';

export type { LoadOptions, SeatCount } from './load-options.js';

export function defaultOptions(): LoadOptions {
  const cfg = config();
  return {
    baseUrl: 'http://localhost:3000',
    alsoBaseUrls: [],
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
    bestAvailable: false,
    respondAsync: false,
    cancelRate: 0,
    createDeleteEvents: false,
    onSale: false,
    noQueue: false,
    joinSpreadMs: 2000,
    admitPerMinute: 0,
    sockets: true,
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
