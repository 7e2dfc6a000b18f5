import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareResults } from '../loadtest/compare.js';
import { runningWorkflows, verifyRun } from '../loadtest/invariants.js';
import { OptionsError, parseCommandLine, resolveOptions, type LoadOptions } from '../loadtest/options.js';
import { renderHtmlReport } from '../loadtest/report-html.js';
import { exitCodeOf, type LoadResult } from '../loadtest/result.js';
import { runLoad } from '../loadtest/run.js';
import type { ScenarioName } from '../loadtest/scenarios.js';
import { formatSummary } from '../loadtest/summary-table.js';
import { startStack, type Stack } from './support/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { HOLD_TTL_MS: '60000', EXPERIMENTS: 'on' } });
});

afterAll(async () => {
  await stack?.stop();
});

/** A scenario shrunk to a few seconds and a small room, aimed at the in-process stack. */
function small(scenario: ScenarioName | undefined, overrides: Partial<LoadOptions>): LoadOptions {
  return resolveOptions({ ...(scenario ? { scenario } : {}), baseUrl: stack.baseUrl, progress: 'off', settleTimeoutMs: 30_000, maxDurationMs: 20_000, ...overrides });
}

const run = (options: LoadOptions) => runLoad(options, { stores: stack.storeSqls, temporal: stack.temporal });

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((total, n) => total + n, 0);

/**
 * What every run must show: its counts add up, Postgres sells exactly the seats the records say were
 * confirmed and not cancelled (counted here from the records, not from the run's own ledger), and
 * its invariant check passed.
 */
async function expectConsistent(result: LoadResult): Promise<void> {
  const bookings = result.records.filter((record) => record.kind === 'reserve');
  expect(result.bookings.requests).toBe(bookings.length);
  expect(result.bookings.confirmed + sum(result.bookings.failedByReason)).toBe(result.bookings.requests);
  expect(bookings.every((record) => record.outcome === 'confirmed' || (record.outcome === 'failed' && typeof record.errorCode === 'string'))).toBe(true);
  expect(bookings.some((record) => record.errorCode === 'pending_timeout')).toBe(false);

  const deleted = new Set(result.events.filter((event) => event.deletedAtMs !== undefined).map((event) => event.id));
  const confirmedSeats = new Map<string, number>();
  for (const record of bookings) {
    if (record.outcome === 'confirmed' && record.reservationId && !deleted.has(record.eventId)) confirmedSeats.set(record.reservationId, record.seats);
  }
  for (const record of result.records) {
    if (record.kind === 'cancel' && record.outcome === 'cancelled' && record.reservationId) confirmedSeats.delete(record.reservationId);
  }
  const expected = [...confirmedSeats.values()].reduce((total, n) => total + n, 0);
  const eventIds = result.events.map((event) => event.id);
  const [sold] = await stack.stores.booking.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM booking.seats WHERE event_id = ANY(${eventIds}::uuid[]) AND status = 'sold'`;
  expect(sold?.count).toBe(expected);

  expect(result.settle.problems).toEqual([]);
  expect(result.verification.problems).toEqual([]);
  expect(result.verification.ok).toBe(true);
  expect(exitCodeOf(result)).toBe(0);
}

describe('options', () => {
  it('a scenario is a preset and flags override it', () => {
    const { options } = parseCommandLine(['--scenario', 'seed-002', '--connections', '12', '--duration', '3s']);
    expect(options).toMatchObject({ scenario: 'seed-002', connections: 12, durationMs: 3000, events: 4, seating: { type: 'general', capacity: 10_000 }, seatsPerRequest: { min: 1, max: 1 } });
    const sellout = parseCommandLine(['--scenario', 'sellout', '--rows', '3']).options;
    expect(sellout).toMatchObject({ untilSoldOut: true, seating: { type: 'reserved', rows: 3, seatsPerRow: 25 } });
    expect(parseCommandLine(['--scenario', 'sellout', '--duration', '2s']).options.untilSoldOut).toBe(false);
    expect(parseCommandLine(['--mode', 'open', '--rate', '50/s', '--seats-per-request', '1..4']).options).toMatchObject({ mode: 'open', ratePerSecond: 50, seatsPerRequest: { min: 1, max: 4 } });
  });

  it('refuses another protocol, bad values and unknown flags with a message', () => {
    expect(parseCommandLine(['--protocol', '2pc']).options.protocol).toBe('2pc');
    expect(() => parseCommandLine(['--protocol', 'two-phase'])).toThrow(/choose one of|saga or 2pc/);
    expect(() => parseCommandLine(['--protocol', '2pc', '--hold-then-pay'])).toThrow(/needs --protocol saga/);
    expect(() => parseCommandLine(['--payment-failure-rate', '0.6', '--slow-payment-rate', '0.6'])).toThrow(/more than 1/);
    expect(() => parseCommandLine(['--seats-per-request', '5'])).toThrow(OptionsError);
    expect(() => parseCommandLine(['--scenario', 'nope'])).toThrow(/choose one of/);
    expect(() => parseCommandLine(['--payment-failure-rate', '1.5'])).toThrow(/probability/);
    expect(() => parseCommandLine(['--duration', '5s', '--until-sold-out'])).toThrow(/not both/);
    expect(() => parseCommandLine(['--seating', 'general', '--rows', '3'])).toThrow(/--capacity/);
    expect(() => parseCommandLine(['--bogus'])).toThrow();
  });
});

describe('the load script against the real stack', () => {
  let smallLoad: LoadResult;

  it('small-load: counts add up, Postgres agrees, the report and summary are complete', async () => {
    smallLoad = await run(small('small-load', { connections: 2, durationMs: 1500, seating: { type: 'reserved', rows: 5, seatsPerRow: 10 } }));
    await expectConsistent(smallLoad);
    expect(smallLoad.bookings.confirmed).toBeGreaterThan(0);
    expect(smallLoad.bookings.latency.p50Ms).toBeGreaterThan(0);
    expect(smallLoad.apiMemory.maxRssBytes).toBeGreaterThan(0);
    const html = renderHtmlReport(smallLoad);
    expect(html.match(/<svg /g)).toHaveLength(5);
    expect(html).not.toMatch(/<script|<link|src="http/);
    expect(formatSummary(smallLoad)).toMatch(/Invariants {6}OK/);
  });

  it('high-load: every seat of every room is sold, once, and the sell-out time is measured', async () => {
    const result = await run(small('high-load', { connections: 16, events: 2, seating: { type: 'reserved', rows: 3, seatsPerRow: 10 }, customers: 4 }));
    await expectConsistent(result);
    expect(result.sellOut).toMatchObject({ capacity: 60, sold: 60 });
    expect(result.sellOut.soldOutAtMs).toBeGreaterThan(0);
    expect(result.events.every((event) => event.soldOutAtMs !== undefined)).toBe(true);
  });

  it('sellout with hot contention: everyone fights for the same seats, still each is sold once', async () => {
    const result = await run(small('sellout', { connections: 8, seating: { type: 'reserved', rows: 1, seatsPerRow: 10 }, customers: 4, contention: 'hot', hotSeats: 4 }));
    await expectConsistent(result);
    expect(result.sellOut).toMatchObject({ capacity: 10, sold: 10 });
    expect(result.bookings.failedByReason.seats_unavailable).toBeGreaterThan(0);
  });

  it('the same hot-seat sell-out by saga and by two-phase commit: both sell each seat once; only the saga shows half-done states', async () => {
    const workload = { connections: 8, seating: { type: 'reserved', rows: 1, seatsPerRow: 10 }, customers: 4, contention: 'hot', hotSeats: 4, paymentFailureRate: 0.2, seed: 3 } as const;
    const saga = await run(small('sellout', { ...workload, protocol: 'saga' }));
    const twoPhase = await run(small('sellout', { ...workload, protocol: '2pc' }));
    for (const result of [saga, twoPhase]) {
      await expectConsistent(result);
      expect(result.sellOut).toMatchObject({ capacity: 10, sold: 10 });
      expect(result.contention.seatLocks.claims).toBeGreaterThanOrEqual(result.bookings.confirmed);
    }
    // Saga: every confirmed booking's seats were seen held first.
    expect(saga.contention.intermediateStates.reservations).toBeGreaterThanOrEqual(saga.bookings.confirmed);
    expect(saga.contention.twoPhase).toBeUndefined();
    // Two-phase commit: no seat was ever seen held; every booking was one logged decision.
    expect(twoPhase.contention.intermediateStates.reservations).toBe(0);
    const [held] = await stack.stores.booking.sql<{ count: number }[]>`
      SELECT count(*)::int AS count FROM booking.outbox, jsonb_array_elements(payload->'changes') AS change
      WHERE event_id = ${twoPhase.events[0]?.id ?? ''} AND change->>'status' = 'held'`;
    expect(held?.count).toBe(0);
    expect(twoPhase.contention.twoPhase).toMatchObject({ committed: twoPhase.bookings.confirmed });
    expect(twoPhase.contention.twoPhase?.lockHeld.count).toBeGreaterThan(0);
    expect(formatSummary(twoPhase)).toMatch(/two-phase commit/);
    expect(formatSummary(twoPhase)).toMatch(/Two-phase {7}\d+ transactions/);
  });

  it('same-request-flood: one Idempotency-Key makes one reservation and one charge; without, one booking wins', async () => {
    const result = await run(small('same-request-flood', { connections: 6, durationMs: 1500 }));
    await expectConsistent(result);
    const keyed = result.sameRequest?.keyed;
    const unkeyed = result.sameRequest?.unkeyed;
    expect(keyed?.requests).toBeGreaterThanOrEqual(2);
    expect(keyed).toMatchObject({ distinctReservations: 1, reservationsInPostgres: { confirmed: 1 }, chargesInPostgres: 1 });
    expect(keyed?.confirmedAnswers).toBe(keyed?.requests);
    expect(unkeyed?.requests).toBeGreaterThanOrEqual(2);
    expect(unkeyed).toMatchObject({ confirmedAnswers: 1, chargesInPostgres: 1 });
    expect(unkeyed?.reservationsInPostgres?.confirmed).toBe(1);
    expect(unkeyed?.failedByReason.seats_unavailable).toBe((unkeyed?.requests ?? 0) - 1);
  });

  it('two-clients-race: two customers with their own views share every seat between them', async () => {
    const result = await run(small('two-clients-race', { connections: 4, seating: { type: 'reserved', rows: 3, seatsPerRow: 10 } }));
    await expectConsistent(result);
    expect(result.sellOut).toMatchObject({ capacity: 30, sold: 30 });
    expect(result.shares.map((share) => share.customer)).toEqual([0, 1]);
    expect(result.shares.reduce((total, share) => total + share.seats, 0)).toBe(30);
  });

  it('churn: cancelled seats are released, bought again, and Postgres still matches', async () => {
    const result = await run(small('churn', { connections: 6, durationMs: 4000, seating: { type: 'reserved', rows: 1, seatsPerRow: 10 }, customers: 3 }));
    await expectConsistent(result);
    expect(result.cancels.ok).toBeGreaterThan(0);
    expect(result.churn.cancelledReservations).toBe(result.cancels.ok);
    expect(result.churn.reboughtSeats).toBeGreaterThan(0);
    const ids = (await stack.stores.booking.sql<{ id: string }[]>`SELECT id FROM booking.reservations WHERE event_id = ${result.events[0]?.id ?? ''}`).map((row) => row.id);
    const [refunds] = await stack.stores.payments.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM payments.refunds WHERE reservation_id = ANY(${ids}::uuid[])`;
    expect(refunds?.count).toBe(result.cancels.ok);
  });

  it('--best-available: a reserved room sold out by the house picking every party\'s seats, each seat once', async () => {
    const result = await run(small('sellout', { connections: 6, seating: { type: 'reserved', rows: 3, seatsPerRow: 10 }, customers: 3, bestAvailable: true, seatsPerRequest: { min: 1, max: 4 } }));
    await expectConsistent(result);
    expect(result.sellOut).toMatchObject({ capacity: 30, sold: 30 });
    const eventId = result.events[0]?.id ?? '';
    const confirmed = await stack.stores.booking.sql<{ seat_ids: string[]; quantity: number }[]>`
      SELECT seat_ids, quantity FROM booking.reservations WHERE event_id = ${eventId} AND status = 'confirmed'`;
    expect(confirmed.every((row) => row.seat_ids.length === row.quantity)).toBe(true);
    expect(new Set(confirmed.flatMap((row) => row.seat_ids)).size).toBe(30);
    // No request named its seats: every booking asked for a number.
    expect(result.records.filter((record) => record.kind === 'reserve').every((record) => record.seatIds === undefined)).toBe(true);
  });

  it('seed-002: general admission over 4 events; compare shows two runs side by side', async () => {
    const result = await run(small('seed-002', { connections: 8, durationMs: 1500, seating: { type: 'general', capacity: 200 }, customers: 4 }));
    await expectConsistent(result);
    expect(result.events).toHaveLength(4);
    const booked = new Set(result.records.filter((record) => record.outcome === 'confirmed').map((record) => record.eventId));
    // Spread over the events (which ones a dozen random picks hit is chance).
    expect(booked.size).toBeGreaterThanOrEqual(2);
    expect([...booked].every((id) => result.events.some((event) => event.id === id))).toBe(true);
    const comparison = compareResults(smallLoad, result, ['small', 'seed']);
    expect(comparison).toMatch(/confirmed bookings\/s/);
    expect(comparison).toContain(String(result.bookings.confirmedPerSecond));
  });

  it('open mode with respond-async, hold-then-pay, declined cards and events deleted mid-booking settles and stays consistent', async () => {
    const result = await run(
      small(undefined, {
        mode: 'open',
        ratePerSecond: 25,
        connections: 10,
        durationMs: 3000,
        seating: { type: 'reserved', rows: 4, seatsPerRow: 10 },
        customers: 3,
        holdThenPay: true,
        respondAsync: true,
        paymentFailureRate: 0.5,
        createDeleteEvents: true,
      }),
    );
    await expectConsistent(result);
    const bookings = result.records.filter((record) => record.kind === 'reserve');
    // Every booking was answered 202 and followed to its final outcome, except those the API refused
    // before starting anything (the event was being deleted).
    expect(result.bookings.answeredPending).toBeGreaterThan(0);
    const answeredAtOnce = bookings.filter((record) => !record.answeredPending);
    expect(answeredAtOnce.every((record) => record.status === 409 && record.errorCode === 'event_not_on_sale')).toBe(true);
    expect(bookings.filter((record) => record.holdMs !== undefined).length).toBeGreaterThan(0);
    expect(result.bookings.failedByReason.payment_declined).toBeGreaterThan(0);
    expect(result.eventsDeleted.ok).toBeGreaterThan(0);
    expect(result.eventsDeleted.ok).toBe(result.eventsCreated.ok);
    const deleted = result.events.filter((event) => event.deletedAtMs !== undefined).map((event) => event.id);
    const [live] = await stack.stores.booking.sql<{ count: number }[]>`
      SELECT count(*)::int AS count FROM booking.reservations WHERE event_id = ANY(${deleted}::uuid[]) AND status NOT IN ('failed', 'cancelled')`;
    expect(live?.count).toBe(0);
  });

  it('the invariant check fails on a corrupted database, and on a hold nobody settled', async () => {
    const result = await run(small('sellout', { connections: 4, seating: { type: 'reserved', rows: 1, seatsPerRow: 8 }, customers: 2 }));
    await expectConsistent(result);
    const eventId = result.events[0]?.id ?? '';
    const deps = { stores: stack.storeSqls, temporal: stack.temporal };
    const expectedSold = new Map([[eventId, 8]]);
    const late = await stack.http.user('customer');
    // A late request that reaches the seat-lock leaves a failed reservation behind. The API's
    // fail-fast check reads the booking store's reservations and the seats in flight, so the sale's
    // reservation is made to not list A-1 for the moment of the request, and its entry in flight is
    // dropped (the seat itself stays sold, which the seat-lock reads).
    const [owning] = await stack.stores.booking.sql<{ id: string }[]>`
      UPDATE booking.reservations SET seat_ids = array_remove(seat_ids, 'A-1') WHERE event_id = ${eventId} AND 'A-1' = ANY(seat_ids) AND status = 'confirmed' RETURNING id`;
    expect(owning).toBeTruthy();
    await stack.stores.booking.sql`DELETE FROM inflight.seat_requests WHERE event_id = ${eventId} AND seat_id = 'A-1'`;
    try {
      expect((await stack.http.post('/api/reservations', { eventId, seats: ['A-1'], paymentToken: 'tok_visa' }, late.token)).status).toBe(409);
    } finally {
      await stack.stores.booking.sql`UPDATE booking.reservations SET seat_ids = array_append(seat_ids, 'A-1') WHERE id = ${owning?.id ?? ''}`;
    }
    await expect.poll(async () => (await runningWorkflows(stack.temporal, [eventId])).length, { timeout: 10_000 }).toBe(0);
    expect((await verifyRun(deps, [eventId], expectedSold, true)).ok).toBe(true);

    // A seat sold for a reservation that failed.
    const [failed] = await stack.stores.booking.sql<{ id: string }[]>`SELECT id FROM booking.reservations WHERE event_id = ${eventId} AND status = 'failed' LIMIT 1`;
    const [seat] = await stack.stores.booking.sql<{ seat_id: string; reservation_id: string }[]>`SELECT seat_id, reservation_id FROM booking.seats WHERE event_id = ${eventId} AND status = 'sold' LIMIT 1`;
    expect(failed && seat).toBeTruthy();
    await stack.stores.booking.sql`UPDATE booking.seats SET reservation_id = ${failed?.id ?? ''} WHERE event_id = ${eventId} AND seat_id = ${seat?.seat_id ?? ''}`;
    const corrupted = await verifyRun(deps, [eventId], expectedSold, true);
    expect(corrupted.ok).toBe(false);
    expect(corrupted.violations.map((violation) => violation.rule)).toContain('a seat is held or sold for a reservation that is over');
    expect(exitCodeOf({ verification: corrupted, settle: result.settle })).toBe(1);
    await stack.stores.booking.sql`UPDATE booking.seats SET reservation_id = ${seat?.reservation_id ?? ''} WHERE event_id = ${eventId} AND seat_id = ${seat?.seat_id ?? ''}`;
    expect((await verifyRun(deps, [eventId], expectedSold, true)).ok).toBe(true);

    // A confirmed reservation that lost one of its tickets.
    const confirmed = (await stack.stores.booking.sql<{ id: string }[]>`SELECT id FROM booking.reservations WHERE event_id = ${eventId} AND status = 'confirmed'`).map((row) => row.id);
    const [ticket] = await stack.stores.ticketing.sql<Record<string, unknown>[]>`SELECT * FROM ticketing.tickets WHERE reservation_id = ANY(${confirmed}::uuid[]) LIMIT 1`;
    await stack.stores.ticketing.sql`DELETE FROM ticketing.tickets WHERE code = ${String(ticket?.code)}`;
    const ticketless = await verifyRun(deps, [eventId], expectedSold, true);
    expect(ticketless.violations.map((violation) => violation.rule)).toContain('a confirmed reservation does not have one valid ticket per seat');
    await stack.stores.ticketing.sql`INSERT INTO ticketing.tickets ${stack.stores.ticketing.sql(ticket ?? {})}`;
    expect((await verifyRun(deps, [eventId], expectedSold, true)).ok).toBe(true);

    // Postgres selling other than what the run was told it bought.
    const mismatch = await verifyRun(deps, [eventId], new Map([[eventId, 7]]), true);
    expect(mismatch.ok).toBe(false);
    expect(mismatch.problems.join('\n')).toMatch(/confirmed 7 seat\(s\) but Postgres sold 8/);

    // A hold left open: its workflow is still running and the run is not settled.
    const other = await stack.http.event((await stack.http.user('organizer')).token, { type: 'reserved', rows: 1, seatsPerRow: 2 });
    const customer = await stack.http.user('customer');
    const held = await stack.http.post<{ id: string; status: string }>('/api/reservations', { eventId: other, seats: ['A-1'] }, customer.token);
    expect(held.body.status).toBe('held');
    await expect.poll(async () => (await runningWorkflows(stack.temporal, [other])).length, { timeout: 10_000 }).toBe(1);
    const unsettled = await verifyRun(deps, [other], new Map(), true);
    expect(unsettled.ok).toBe(false);
    expect(unsettled.violations.map((violation) => violation.rule)).toContain('a reservation is still pending or held');
    expect(unsettled.runningWorkflows[0]?.workflowIds).toEqual([`reservation-${held.body.id}`]);
    expect((await stack.http.post(`/api/reservations/${held.body.id}/cancel`, {}, customer.token)).status).toBe(200);
  });
});
