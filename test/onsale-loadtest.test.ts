import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inversions } from '../loadtest/onsale.js';
import { parseCommandLine, resolveOptions, type LoadOptions } from '../loadtest/options.js';
import { exitCodeOf, type LoadResult } from '../loadtest/result.js';
import { runLoad } from '../loadtest/run.js';
import { formatSummary } from '../loadtest/summary-table.js';
import { startStack, type Stack } from './support/stack.js';

/**
 * `--scenario onsale` (issue 14) shrunk to 50 buyers and a 3 × 10 room, against the real stack: the
 * waiting room admits them in place order, each admitted buyer books best available with its
 * admission token, the rest are told the room sold out; then the same buyers without a queue.
 */
let stack: Stack;

beforeAll(async () => {
  // Ticks every 250 ms so that the run takes seconds; the rate adapts (from a window of 5 buyers).
  stack = await startStack({ env: { QUEUE_TICK_MS: '250', QUEUE_MIN_WINDOW: '5', QUEUE_JOIN_LEAD_SECONDS: '3600' } });
});

afterAll(async () => {
  await stack?.stop();
});

function onSale(overrides: Partial<LoadOptions>): LoadOptions {
  return resolveOptions({ scenario: 'onsale', baseUrl: stack.baseUrl, progress: 'off', customers: 50, seating: { type: 'reserved', rows: 3, seatsPerRow: 10 }, joinSpreadMs: 1000, maxDurationMs: 60_000, settleTimeoutMs: 30_000, ...overrides });
}

const run = (options: LoadOptions) => runLoad(options, { stores: stack.storeSqls, temporal: stack.temporal });

async function expectSoldOnceAndSettled(result: LoadResult): Promise<void> {
  expect(result.settle.problems).toEqual([]);
  expect(result.verification.problems).toEqual([]);
  expect(result.verification.ok).toBe(true);
  expect(exitCodeOf(result)).toBe(0);
  const [sold] = await stack.stores.booking.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM booking.seats WHERE event_id = ${result.events[0]?.id ?? ''} AND status = 'sold'`;
  expect(sold?.count).toBe(result.bookings.seatsConfirmed);
}

describe('the on-sale scenario', () => {
  it('the options: a preset of 2,000 buyers; --no-queue, --admit-per-minute and --join-spread override it', () => {
    const { options } = parseCommandLine(['--scenario', 'onsale']);
    expect(options).toMatchObject({ onSale: true, noQueue: false, customers: 2000, bestAvailable: true, seatsPerRequest: { min: 1, max: 4 }, joinSpreadMs: 2000, admitPerMinute: 0, sockets: true });
    expect(parseCommandLine(['--scenario', 'onsale', '--no-queue', '--admit-per-minute', '600', '--join-spread', '5s', '--no-sockets']).options).toMatchObject({ noQueue: true, admitPerMinute: 600, joinSpreadMs: 5000, sockets: false });
    expect(() => parseCommandLine(['--no-queue'])).toThrow(/on-sale/);
    expect(() => parseCommandLine(['--scenario', 'onsale', '--seating', 'general'])).toThrow(/reserved/);
  });

  it('counts inversions of admission order: none for batches in order, each pair out of order once', () => {
    expect(inversions([1, 1, 1, 2, 2, 3])).toBe(0);
    expect(inversions([2, 1])).toBe(1);
    expect(inversions([3, 2, 1])).toBe(3);
    expect(inversions([1, 3, 2, 2, 4])).toBe(2);
  });

  it('through the waiting room: admitted in place order, no timeout and no 202, sold out once, everyone else told', async () => {
    const result = await run(onSale({}));
    await expectSoldOnceAndSettled(result);
    const sale = result.onSale;
    expect(sale?.queue).toBe(true);
    expect(sale?.joins.ok).toBe(50);
    expect(sale?.outcomes.booked).toBeGreaterThan(0);
    expect((sale?.outcomes.booked ?? 0) + (sale?.outcomes.sold_out_waiting ?? 0) + (sale?.outcomes.sold_out_at_booking ?? 0), formatSummary(result)).toBe(50);
    expect(sale?.outcomes.sold_out_waiting).toBeGreaterThan(0);
    expect(result.sellOut).toMatchObject({ capacity: 30, sold: 30 });
    expect(sale?.timeToSellOutMs).toBeGreaterThan(0);
    expect(sale?.timeouts).toBe(0);
    expect(sale?.answered202).toBe(0);
    expect(sale?.retriedBookings).toBe(0);
    expect(sale?.fairness).toMatchObject({ inversions: 0, skipped: 0, maxPlacesPerAccount: 1, places: 50 });
    expect(sale?.fairness?.drawnAtOpening).toBeGreaterThan(0);
    // Only admitted buyers booked (one admitted just as the room sold out may be told so first and not try).
    expect(sale?.admission?.admitted).toBeGreaterThanOrEqual(result.bookings.requests);
    // Every admitted buyer booked with its own token: no booking was refused for want of one.
    expect(result.bookings.failedByReason.admission_required).toBeUndefined();
    expect(result.bookings.failedByReason.admission_expired).toBeUndefined();
    // The sockets heard the queue: every socket every broadcast after it subscribed.
    expect(sale?.sockets).toMatchObject({ sockets: 50, lost: 0, missed: 0 });
    expect(sale?.sockets?.broadcasts).toBeGreaterThan(1);
    expect(sale?.sockets?.delivery.count).toBeGreaterThan(0);
    expect(formatSummary(result)).toMatch(/Fairness {8}0 admissions against place order/);
  }, 120_000);

  it('--no-queue: the same buyers book at the opening; the room still sells each seat once', async () => {
    const result = await run(onSale({ noQueue: true }));
    await expectSoldOnceAndSettled(result);
    const sale = result.onSale;
    expect(sale?.queue).toBe(false);
    expect(result.bookings.requests).toBe(50);
    expect((sale?.outcomes.booked ?? 0) + (sale?.outcomes.sold_out_at_booking ?? 0) + (sale?.outcomes.not_booked ?? 0)).toBe(50);
    expect(result.sellOut).toMatchObject({ capacity: 30, sold: 30 });
    expect(sale?.fairness).toBeUndefined();
  }, 120_000);
});
