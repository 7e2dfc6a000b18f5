import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { participants, TransactionAborted, type Coordinator, type CoordinatorHooks } from '../activities/two-phase-commit/index.js';
import type { ReservationRequest } from '../lib/reservations.js';
import { createActivities, type ActivityResources } from '../worker/activities.js';
import { startStack, type Stack } from './support/stack.js';

/**
 * The two-phase-commit booking path (BOOKING_PROTOCOL=2pc) against real Postgres prepared
 * transactions, with booking, payments and ticketing in three separate databases (vitest.config.ts).
 */

import type { Reservation, ReservationError as ErrorBody } from '../api/contract/index.js';

let stack: Stack;
let organizer: { token: string; id: string };
let customer: { token: string; id: string };
const touchedEvents: string[] = [];
const touchedReservations: string[] = [];
const twoPhase = { 'booking-protocol': '2pc' };

beforeAll(async () => {
  stack = await startStack({ env: { HOLD_TTL_MS: '60000', TWO_PC_LOCK_TIMEOUT_MS: '20000', EXPERIMENTS: 'on' } });
  organizer = await stack.http.user('organizer');
  customer = await stack.http.user('customer');
});

afterEach(async () => {
  await stack.projectionCaughtUp();
  expect(await stack.invariants({ eventIds: touchedEvents, readModel: true })).toEqual([]);
});

afterAll(async () => {
  if (stack) expect(await preparedOf(touchedReservations)).toEqual([]);
  await stack?.stop();
});

async function newEvent(): Promise<string> {
  const id = await stack.http.event(organizer.token, { type: 'reserved', rows: 3, seatsPerRow: 5 }, 2000);
  touchedEvents.push(id);
  return id;
}

const book = async (eventId: string, seats: string[], paymentToken = 'tok_visa', token = customer.token) => {
  const result = await stack.http.post<Reservation & ErrorBody>('/api/reservations', { eventId, seats, paymentToken }, token, twoPhase);
  if (result.body.id) touchedReservations.push(result.body.id);
  return result;
};

/** Prepared transactions of these reservations, in any of the three stores. */
async function preparedOf(reservationIds: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const sql of [stack.storeSqls.booking, stack.storeSqls.payments, stack.storeSqls.ticketing]) {
    const rows = await sql<{ gid: string }[]>`SELECT gid FROM pg_prepared_xacts WHERE database = current_database()`;
    found.push(...rows.map((row) => row.gid).filter((gid) => reservationIds.some((id) => gid.includes(id))));
  }
  return found;
}

async function storesOf(reservationId: string, eventId: string) {
  const seats = await stack.storeSqls.booking<{ seat_id: string; status: string }[]>`SELECT seat_id, status FROM booking.seats WHERE event_id = ${eventId} AND status <> 'available' ORDER BY seat_id`;
  const [reservation] = await stack.storeSqls.booking<{ status: string; failure_reason: string | null }[]>`SELECT status, failure_reason FROM booking.reservations WHERE id = ${reservationId}`;
  const charges = await stack.storeSqls.payments<{ status: string; amount_cents: number }[]>`SELECT status, amount_cents FROM payments.charges WHERE reservation_id = ${reservationId}`;
  const tickets = await stack.storeSqls.ticketing<{ seat_id: string; status: string }[]>`SELECT seat_id, status FROM ticketing.tickets WHERE reservation_id = ${reservationId} ORDER BY seat_id`;
  const decisions = await stack.owner.sql<{ outcome: string; decided_by: string; completed: boolean }[]>`
    SELECT outcome, decided_by, completed_at IS NOT NULL AS completed FROM coordinator.decisions WHERE reservation_id = ${reservationId} ORDER BY transaction_id`;
  return { seats, reservation, charges, tickets, decisions };
}

describe('booking by two-phase commit through the API', () => {
  it('books seats, payment and tickets in three databases at once: 201, one commit decision, nothing left prepared', async () => {
    const eventId = await newEvent();
    const result = await book(eventId, ['A-1', 'A-2']);
    expect(result.status).toBe(201);
    expect(result.body).toMatchObject({ status: 'confirmed', seats: ['A-1', 'A-2'] });
    expect(result.body.tickets.map((ticket) => ticket.seat)).toEqual(['A-1', 'A-2']);

    const stores = await storesOf(result.body.id, eventId);
    expect(stores.seats).toEqual([
      { seat_id: 'A-1', status: 'sold' },
      { seat_id: 'A-2', status: 'sold' },
    ]);
    expect(stores.reservation?.status).toBe('confirmed');
    expect(stores.charges).toEqual([{ status: 'captured', amount_cents: 4000 }]);
    expect(stores.tickets).toEqual([
      { seat_id: 'A-1', status: 'valid' },
      { seat_id: 'A-2', status: 'valid' },
    ]);
    expect(stores.decisions).toEqual([{ outcome: 'commit', decided_by: 'coordinator', completed: true }]);
    expect(await preparedOf([result.body.id])).toEqual([]);

    // The three stores really are three databases.
    const names = await Promise.all([stack.storeSqls.booking, stack.storeSqls.payments, stack.storeSqls.ticketing].map(async (sql) => (await sql<{ name: string }[]>`SELECT current_database() AS name`)[0]?.name));
    expect(new Set(names).size).toBe(3);

    const fetched = await stack.http.get<Reservation>(`/api/reservations/${result.body.id}`, customer.token);
    expect(fetched.body).toMatchObject({ status: 'confirmed', seats: ['A-1', 'A-2'] });
    expect(fetched.body.tickets).toHaveLength(2);
  });

  it('a declined card answers 402 and rolls back all three: no seat sold, no charge, no ticket', async () => {
    const eventId = await newEvent();
    const result = await book(eventId, ['B-1'], 'tok_declined');
    expect(result.status).toBe(402);
    expect(result.body.error).toBe('payment_declined');
    const reservationId = (result.body as unknown as { details: { reservation: { id: string } } }).details.reservation.id;
    touchedReservations.push(reservationId);

    const stores = await storesOf(reservationId, eventId);
    expect(stores.seats).toEqual([]);
    expect(stores.charges).toEqual([]);
    expect(stores.tickets).toEqual([]);
    expect(stores.reservation).toEqual({ status: 'failed', failure_reason: 'payment_declined' });
    expect(stores.decisions).toEqual([{ outcome: 'abort', decided_by: 'coordinator', completed: true }]);
    expect(await preparedOf([reservationId])).toEqual([]);
    // The seat is free for the next customer.
    expect((await book(eventId, ['B-1'])).status).toBe(201);
  });

  it('a seat held by a saga, or sold by another two-phase commit, answers 409 with the seats and charges nothing', async () => {
    const eventId = await newEvent();
    const hold = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['C-1'] }, customer.token);
    expect(hold.body.status).toBe('held');
    touchedReservations.push(hold.body.id);

    const other = await stack.http.user('customer');
    const conflict = await book(eventId, ['C-1', 'C-2'], 'tok_visa', other.token);
    expect(conflict.status).toBe(409);
    expect(conflict.body.error).toBe('seats_unavailable');
    expect(conflict.body.details?.seats).toEqual(['C-1']);

    // Two commits racing for one seat: one wins, the other waits for its locks, then gets 409.
    const racers = await Promise.all([book(eventId, ['C-3'], 'tok_visa', other.token), book(eventId, ['C-3'])]);
    expect(racers.map((racer) => racer.status).sort()).toEqual([201, 409]);
    const [captured] = await stack.storeSqls.payments<{ count: number }[]>`
      SELECT count(*)::int AS count FROM payments.charges WHERE reservation_id = ANY(${racers.map((racer) => racer.body.id ?? randomUUID())}::uuid[]) AND status = 'captured'`;
    expect(captured?.count).toBe(1);
    expect(await stack.http.post(`/api/reservations/${hold.body.id}/cancel`, {}, customer.token)).toMatchObject({ status: 200 });
  });

  it('a confirmed two-phase booking cancels like any other: refunded, tickets void, seats free', async () => {
    const eventId = await newEvent();
    const result = await book(eventId, ['A-5']);
    const cancelled = await stack.http.post<{ status: string; refundedCents: number }>(`/api/reservations/${result.body.id}/cancel`, {}, customer.token);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', refundedCents: 2000 });
    expect((await storesOf(result.body.id, eventId)).seats).toEqual([]);
  });

  it('answers 202 at once with Prefer: respond-async; paying it meanwhile is refused, never a 500, and it is charged once', async () => {
    const eventId = await newEvent();
    const started = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['B-2'], paymentToken: 'tok_visa' }, customer.token, { ...twoPhase, prefer: 'respond-async' });
    expect(started.status).toBe(202);
    touchedReservations.push(started.body.id);
    const paid = await stack.http.post<ErrorBody>(`/api/reservations/${started.body.id}/pay`, { paymentToken: 'tok_visa' }, customer.token);
    // 409 while the commit runs (nothing to pay), 410 once its workflow has closed.
    expect([409, 410]).toContain(paid.status);
    await expect.poll(async () => (await stack.http.get<Reservation>(`/api/reservations/${started.body.id}`, customer.token)).body.status, { timeout: 15_000 }).toBe('confirmed');
    expect((await storesOf(started.body.id, eventId)).charges).toEqual([{ status: 'captured', amount_cents: 2000 }]);
  });

  it('refuses a hold without payment (holds are the saga’s) and an unknown protocol, starting nothing', async () => {
    const eventId = await newEvent();
    const hold = await stack.http.post<ErrorBody>('/api/reservations', { eventId, seats: ['A-1'] }, customer.token, twoPhase);
    expect(hold.status).toBe(400);
    expect(hold.body.error).toBe('validation_failed');
    const unknown = await stack.http.post<ErrorBody>('/api/reservations', { eventId, seats: ['A-1'], paymentToken: 'tok_visa' }, customer.token, { 'booking-protocol': '3pc' });
    expect(unknown.status).toBe(400);
    const [count] = await stack.storeSqls.booking<{ count: number }[]>`SELECT count(*)::int AS count FROM booking.reservations WHERE event_id = ${eventId}`;
    expect(count?.count).toBe(0);
  });
});

describe('the coordinator crashing between prepare and commit', () => {
  class Crash extends Error {}
  const opened: ActivityResources[] = [];

  /**
   * A coordinator of our own whose "process" dies where the hook says: the hook throws, nothing
   * after it runs, and `die()` closes its connections, its liveness lock with them, exactly what
   * the death of its process does.
   */
  function coordinatorProcess(hooks: CoordinatorHooks = {}): { coordinator: Coordinator; die(): Promise<void> } {
    const resources = createActivities(stack.cfg, { poolSize: 2, hooks });
    opened.push(resources);
    return { coordinator: resources.coordinator, die: () => resources.close() };
  }
  const crashAt = (point: keyof CoordinatorHooks): CoordinatorHooks => ({
    [point]: async () => {
      throw new Crash(`coordinator killed at ${point}`);
    },
  });

  afterAll(async () => {
    await Promise.allSettled(opened.map((resources) => resources.close()));
  });

  function requestFor(eventId: string, seats: string[]): ReservationRequest {
    const reservationId = randomUUID();
    touchedReservations.push(reservationId);
    return {
      reservationId,
      eventId,
      eventName: 'Crash test',
      customerId: customer.id,
      seating: 'reserved',
      seatIds: seats,
      quantity: seats.length,
      capacity: 15,
      rows: 3,
      seatsPerRow: 5,
      amountCents: 2000 * seats.length,
      currency: 'EUR',
      paymentToken: 'tok_visa',
      holdTtlMs: 60_000,
      requestHash: 'test',
    };
  }

  it('after logging "commit": the rows stay locked and prepared until recovery commits everywhere', async () => {
    const eventId = await newEvent();
    // The first booking creates the inventory; the crash test then runs on a warm one.
    await book(eventId, ['C-5']);
    const request = requestFor(eventId, ['A-1', 'A-2']);
    const crashing = coordinatorProcess(crashAt('afterDecision'));
    await expect(crashing.coordinator.book(request, 1)).rejects.toBeInstanceOf(Crash);
    const prepared = await preparedOf([request.reservationId]);
    expect(prepared.map((gid) => gid.split(':').at(-1)).sort()).toEqual([...participants].sort());

    await crashing.die();
    const successor = coordinatorProcess();

    // Readers see nothing of it yet: no intermediate state, the seats still read available.
    expect((await storesOf(request.reservationId, eventId)).seats).toEqual([{ seat_id: 'C-5', status: 'sold' }]);

    // Another booking of the same seat blocks on the prepared transaction's row locks...
    const blocked = successor.coordinator.book(requestFor(eventId, ['A-2']), 1).then(
      () => 'confirmed',
      (error: unknown) => (error as { type?: string }).type ?? String(error),
    );
    const early = await Promise.race([blocked, new Promise((resolve) => setTimeout(() => resolve('still blocked'), 500))]);
    expect(early).toBe('still blocked');

    // ...until recovery, finding "commit" in the log, commits all three.
    expect(await successor.coordinator.recover(0)).toMatchObject({ committed: [`boxoffice:${request.reservationId}:1`], rolledBack: [] });
    expect(await blocked).toBe('SeatsUnavailable');
    const stores = await storesOf(request.reservationId, eventId);
    expect(stores.reservation?.status).toBe('confirmed');
    expect(stores.seats).toEqual([
      { seat_id: 'A-1', status: 'sold' },
      { seat_id: 'A-2', status: 'sold' },
      { seat_id: 'C-5', status: 'sold' },
    ]);
    expect(stores.charges).toEqual([{ status: 'captured', amount_cents: 4000 }]);
    expect(stores.tickets.map((ticket) => ticket.status)).toEqual(['valid', 'valid']);
    expect(stores.decisions).toEqual([{ outcome: 'commit', decided_by: 'coordinator', completed: true }]);
    expect(await preparedOf([request.reservationId])).toEqual([]);
  });

  it('before logging a decision: recovery rolls back everywhere, and the blocked booking then gets the seat', async () => {
    const eventId = await newEvent();
    await book(eventId, ['C-5']);
    const request = requestFor(eventId, ['B-1']);
    const crashing = coordinatorProcess(crashAt('afterPrepare'));
    await expect(crashing.coordinator.book(request, 1)).rejects.toBeInstanceOf(Crash);
    expect(await preparedOf([request.reservationId])).toHaveLength(3);
    // While its coordinator lives, recovery leaves an undecided transaction alone, however long it takes.
    const successor = coordinatorProcess();
    expect(await successor.coordinator.recover(0)).toEqual({ committed: [], rolledBack: [] });
    await crashing.die();
    const next = requestFor(eventId, ['B-1']);
    const blocked = successor.coordinator.book(next, 1);
    await delay(300);
    expect(await successor.coordinator.recover(0)).toMatchObject({ committed: [], rolledBack: [`boxoffice:${request.reservationId}:1`] });
    await expect(blocked).resolves.toMatchObject({ seatIds: ['B-1'] });

    const crashed = await storesOf(request.reservationId, eventId);
    expect(crashed.reservation).toBeUndefined();
    expect(crashed.charges).toEqual([]);
    expect(crashed.tickets).toEqual([]);
    expect(crashed.decisions).toEqual([{ outcome: 'abort', decided_by: 'recovery', completed: true }]);
    expect((await storesOf(next.reservationId, eventId)).reservation?.status).toBe('confirmed');
    expect(await preparedOf([request.reservationId, next.reservationId])).toEqual([]);
  });

  it('a coordinator cut off from Postgres and recovered meanwhile cannot commit: the first decision logged stands', async () => {
    const eventId = await newEvent();
    await book(eventId, ['C-5']);
    const request = requestFor(eventId, ['A-3']);
    const successor = coordinatorProcess();
    // Between prepare and decision this coordinator loses its liveness session (a network
    // partition, say), and another one's recovery runs.
    const partitioned = coordinatorProcess({
      afterPrepare: async () => {
        await stack.owner.sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'boxoffice-coordinator' AND pid IN (
          SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = (hashtextextended(${`boxoffice-coordinator:${partitioned.coordinator.liveness.id}`}, 0) & 4294967295)::oid)`;
        await expect.poll(() => successor.coordinator.recover(0), { timeout: 5000 }).toMatchObject({ rolledBack: [`boxoffice:${request.reservationId}:1`] });
      },
    });
    await expect(partitioned.coordinator.book(request, 1)).rejects.toBeInstanceOf(TransactionAborted);
    const stores = await storesOf(request.reservationId, eventId);
    expect(stores.seats).toEqual([{ seat_id: 'C-5', status: 'sold' }]);
    expect(stores.charges).toEqual([]);
    expect(stores.decisions).toEqual([{ outcome: 'abort', decided_by: 'recovery', completed: true }]);

    // The retry is a new attempt, a new transaction: it commits.
    await expect(successor.coordinator.book(request, 2)).resolves.toMatchObject({ seatIds: ['A-3'], transactionId: `boxoffice:${request.reservationId}:2` });
    expect(await preparedOf([request.reservationId])).toEqual([]);
  });
});
