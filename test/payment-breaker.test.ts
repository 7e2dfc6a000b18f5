import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Reservation, ReservationError as ErrorBody } from '../api/contract/index.js';
import { startStack, type Stack } from './support/stack.js';

// The gateway's outage is a file the simulated gateway looks for on every call
// (PAYMENT_GATEWAY_DOWN_FILE); the breaker trips after 3 failures in a row and tries again 1.5 s later.
const THRESHOLD = 3;
const HALF_OPEN_MS = 1_500;

let stack: Stack;
let folder: string;
let downFile: string;
let organizer: { token: string };
let customer: { token: string };
const touchedEvents: string[] = [];

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'boxoffice-breaker-'));
  downFile = join(folder, 'gateway-down');
  stack = await startStack({ env: { PAYMENT_GATEWAY_DOWN_FILE: downFile, PAYMENT_BREAKER_THRESHOLD: String(THRESHOLD), PAYMENT_BREAKER_HALF_OPEN_MS: String(HALF_OPEN_MS), EXPERIMENTS: 'on' } });
  organizer = await stack.http.user('organizer');
  customer = await stack.http.user('customer');
});

afterEach(async () => {
  await rm(downFile, { force: true });
  await stack.projectionCaughtUp();
  expect(await stack.invariants({ eventIds: touchedEvents, readModel: true })).toEqual([]);
});

afterAll(async () => {
  await stack?.stop();
  await rm(folder, { recursive: true, force: true });
});

async function newEvent(): Promise<string> {
  const id = await stack.http.event(organizer.token);
  touchedEvents.push(id);
  return id;
}

const book = (eventId: string, seat: string, paymentToken = 'tok_visa') => stack.http.post<Reservation & ErrorBody>('/api/reservations', { eventId, seats: [seat], paymentToken }, customer.token);

const seatStatuses = async (eventId: string) =>
  Object.fromEntries((await stack.stores.booking.sql<{ seat_id: string; status: string }[]>`SELECT seat_id, status FROM booking.seats WHERE event_id = ${eventId} AND status <> 'available'`).map((row) => [row.seat_id, row.status]));

const chargesOf = async (eventId: string) => {
  const ids = (await stack.stores.booking.sql<{ id: string }[]>`SELECT id FROM booking.reservations WHERE event_id = ${eventId}`).map((row) => row.id);
  return stack.stores.payments.sql<{ status: string }[]>`SELECT status FROM payments.charges WHERE reservation_id = ANY(${ids}::uuid[]) ORDER BY created_at`;
};

describe('the payment gateway behind a circuit breaker', () => {
  it('never opens for declined cards: they are answers, not gateway failures', async () => {
    const eventId = await newEvent();
    for (let seat = 1; seat <= THRESHOLD + 2; seat++) {
      const declined = await book(eventId, `A-${seat}`, 'tok_declined');
      expect(declined.status).toBe(402);
      expect(declined.body.error).toBe('payment_declined');
    }
    const paid = await book(eventId, 'B-1');
    expect(paid.status).toBe(201);
    expect(paid.body.status).toBe('confirmed');
    expect(await seatStatuses(eventId)).toEqual({ 'B-1': 'sold' });
  }, 30_000);

  it('fails bookings fast with 503 and Retry-After while the gateway is down, releasing their seats; closes by itself once it is back', async () => {
    const eventId = await newEvent();
    await writeFile(downFile, '');

    // Sagas already charging when the gateway fails: their first attempts trip the breaker, and
    // their retries then end them at once instead of retrying for half a minute.
    const started = performance.now();
    const inFlight = await Promise.all(['A-1', 'A-2', 'A-3'].map((seat) => book(eventId, seat)));
    expect(inFlight.map((result) => [result.status, result.body.error])).toEqual(Array(3).fill([503, 'service_unavailable']));
    expect(performance.now() - started).toBeLessThan(5_000);

    // The breaker is open: a new booking fails without calling the gateway.
    const fastStart = performance.now();
    const refused = await book(eventId, 'B-1');
    const refusedMs = performance.now() - fastStart;
    // Without the open breaker the charge would retry on its schedule (8 attempts, ~35 s of backoff);
    // 5 s tells the two apart with room for a loaded machine (1 s failed once at 1.2 s under a full run).
    expect(refusedMs).toBeLessThan(5_000);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe(String(Math.ceil(HALF_OPEN_MS / 1000)));
    expect(refused.body).toMatchObject({ error: 'service_unavailable', message: expect.stringMatching(/^Payments are unavailable/) });
    const refusedReservation = (refused.body.details as { reservation: Reservation }).reservation;
    expect(refusedReservation).toMatchObject({ status: 'failed', failureReason: 'payment_unavailable', refundedCents: 0, tickets: [] });
    const fetched = await stack.http.get<Reservation>(`/api/reservations/${refusedReservation.id}`, customer.token);
    expect(fetched.body).toMatchObject({ status: 'failed', failureReason: 'payment_unavailable' });

    // Two-phase commit charges through the same breaker, and ends the same way.
    const atomic = await stack.http.post<ErrorBody>('/api/reservations', { eventId, seats: ['B-2'], paymentToken: 'tok_visa' }, customer.token, { 'booking-protocol': '2pc' });
    expect([atomic.status, atomic.body.error, atomic.headers.get('retry-after')]).toEqual([503, 'service_unavailable', '2']);

    // Every seat is free again and nothing was charged (not even a record).
    expect(await seatStatuses(eventId)).toEqual({});
    expect(await chargesOf(eventId)).toEqual([]);
    await stack.projectionCaughtUp();
    expect(await stack.invariants({ eventIds: [eventId], readModel: true })).toEqual([]);

    // The gateway is back: after the half-open delay the next charge is the trial, and it confirms.
    await rm(downFile);
    await delay(HALF_OPEN_MS + 100);
    const trial = await book(eventId, 'C-1');
    expect(trial.status).toBe(201);
    expect(trial.body.status).toBe('confirmed');
    const next = await book(eventId, 'C-2');
    expect(next.status).toBe(201);
    expect(await seatStatuses(eventId)).toEqual({ 'C-1': 'sold', 'C-2': 'sold' });
    expect(await chargesOf(eventId)).toEqual([{ status: 'captured' }, { status: 'captured' }]);
    console.log(`payment breaker: 3 bookings in flight failed in ${Math.round(fastStart - started)} ms; with the breaker open a booking failed in ${Math.round(refusedMs)} ms`);
  }, 30_000);
});
