import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Reservation, ReservationError } from '../api/contract/index.js';
import { startStack, type Stack } from './support/stack.js';

/**
 * A lost race for a seat costs a read, not a workflow (api/routes/reservations/fail-fast.ts): named
 * seats are checked against the booking store's reservations, general admission against the read
 * model's counts; the workflow's seat-lock stays the authority for every seat shown free.
 */
let stack: Stack;
let organizer: { token: string };
let winner: { token: string; id: string };
let loser: { token: string; id: string };
const touchedEvents: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  organizer = await stack.http.user('organizer');
  winner = await stack.http.user('customer');
  loser = await stack.http.user('customer');
});
afterEach(async () => {
  await stack.projectionCaughtUp();
  expect(await stack.invariants({ eventIds: touchedEvents, readModel: true })).toEqual([]);
});
afterAll(() => stack?.stop());

async function newEvent(seating?: Parameters<Stack['http']['event']>[1]): Promise<string> {
  const id = await stack.http.event(organizer.token, seating);
  touchedEvents.push(id);
  return id;
}

/** The event's seats in flight, as `seat→reservation`. */
const inFlightOf = async (eventId: string) =>
  (await stack.stores.booking.sql<{ seat_id: string; reservation_id: string }[]>`SELECT seat_id, reservation_id FROM inflight.seat_requests WHERE event_id = ${eventId} ORDER BY seat_id`).map((row) => `${row.seat_id}→${row.reservation_id}`);

/** Another API process's request for the seats, still waiting for its answer (or dead, when `expired`). */
async function inFlightElsewhere(eventId: string, seatIds: string[], options: { expired?: boolean; reservationId?: string } = {}): Promise<string> {
  const reservationId = options.reservationId ?? randomUUID();
  const expiresAt = new Date(Date.now() + (options.expired ? -1_000 : 60_000)).toISOString();
  for (const seatId of seatIds) {
    await stack.stores.booking.sql`
      INSERT INTO inflight.seat_requests (event_id, seat_id, reservation_id, expires_at) VALUES (${eventId}, ${seatId}, ${reservationId}, ${expiresAt})
      ON CONFLICT (event_id, seat_id) DO UPDATE SET reservation_id = excluded.reservation_id, expires_at = excluded.expires_at`;
  }
  return reservationId;
}

/** Every reservation the customer has in the booking store: a workflow that ran its seat-lock leaves one, even a failed one. */
const reservationRows = async (customerId: string, eventId: string) =>
  (await stack.stores.booking.sql<{ id: string }[]>`SELECT id FROM booking.reservations WHERE customer_id = ${customerId} AND event_id = ${eventId}`).length;

describe('failing fast on seats already taken', () => {
  it('a seat already sold is refused with 409 and its seats, and no workflow starts', async () => {
    const eventId = await newEvent();
    expect((await stack.http.post('/api/reservations', { eventId, seats: ['A-1', 'A-2'], paymentToken: 'tok_visa' }, winner.token)).status).toBe(201);
    await stack.projectionCaughtUp();
    const refused = await stack.http.post<ReservationError>('/api/reservations', { eventId, seats: ['A-2', 'A-3'], paymentToken: 'tok_visa' }, loser.token);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: 'seats_unavailable', details: { seats: ['A-2'] } });
    expect(await reservationRows(loser.id, eventId)).toBe(0);
  });

  it('general admission the read model shows sold out is refused with 409 sold_out, and no workflow starts', async () => {
    const eventId = await newEvent({ type: 'general', capacity: 2 });
    expect((await stack.http.post('/api/reservations', { eventId, quantity: 2, paymentToken: 'tok_visa' }, winner.token)).status).toBe(201);
    await stack.projectionCaughtUp();
    const refused = await stack.http.post<ReservationError>('/api/reservations', { eventId, quantity: 1, paymentToken: 'tok_visa' }, loser.token);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('sold_out');
    expect(await reservationRows(loser.id, eventId)).toBe(0);
  });

  it('the same Idempotency-Key again gets its own reservation back, though its seats now show sold', async () => {
    const eventId = await newEvent();
    const headers = { 'idempotency-key': `fail-fast-${eventId}` };
    const first = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['B-1'], paymentToken: 'tok_visa' }, winner.token, headers);
    expect(first.status).toBe(201);
    await stack.projectionCaughtUp();
    const again = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['B-1'], paymentToken: 'tok_visa' }, winner.token, headers);
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ id: first.body.id, status: 'confirmed' });
    const reused = await stack.http.post<ReservationError>('/api/reservations', { eventId, seats: ['B-1', 'B-2'], paymentToken: 'tok_visa' }, winner.token, headers);
    expect(reused.status).toBe(422);
  });
});

describe('the seat-lock stays the authority', () => {
  it('a seat taken that no reservation shows yet is tried by the workflow, which refuses it', async () => {
    const eventId = await newEvent();
    const first = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['C-1'], paymentToken: 'tok_visa' }, winner.token);
    expect(first.status).toBe(201);
    await stack.projectionCaughtUp();
    // The check reads reservations; the seat-lock reads the seat. Take C-2 behind the check's back
    // (as a hold committing just after the check would), so only the seat-lock can see it.
    const taken = await stack.stores.booking.sql`UPDATE booking.seats SET status = 'held', reservation_id = ${first.body.id} WHERE event_id = ${eventId} AND seat_id = 'C-2' AND status = 'available' RETURNING seat_id`;
    expect(taken).toHaveLength(1);
    try {
      const refused = await stack.http.post<ReservationError>('/api/reservations', { eventId, seats: ['C-2'], paymentToken: 'tok_visa' }, loser.token);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ error: 'seats_unavailable', details: { seats: ['C-2'], reservation: { status: 'failed' } } });
      const rows = await stack.stores.booking.sql<{ status: string }[]>`SELECT status FROM booking.reservations WHERE customer_id = ${loser.id} AND event_id = ${eventId}`;
      expect(rows.map((row) => row.status)).toEqual(['failed']);
    } finally {
      await stack.stores.booking.sql`UPDATE booking.seats SET status = 'available', reservation_id = NULL WHERE event_id = ${eventId} AND seat_id = 'C-2'`;
    }
  });

  it('a hold is refused from the booking store the moment it commits, before the read model shows it', async () => {
    const eventId = await newEvent();
    const held = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['B-3', 'B-4'] }, winner.token);
    expect(held.status).toBe(201);
    // The read model has not heard of the hold (as while the projection lags).
    await stack.projectionCaughtUp();
    await stack.owner.sql`DELETE FROM readmodel.seat_states WHERE event_id = ${eventId} AND seat_id IN ('B-3', 'B-4')`;
    try {
      const refused = await stack.http.post<ReservationError>('/api/reservations', { eventId, seats: ['B-4', 'B-5'], paymentToken: 'tok_visa' }, loser.token);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ error: 'seats_unavailable', details: { seats: ['B-4'] } });
      expect(refused.body.details).not.toHaveProperty('reservation');
      expect(await reservationRows(loser.id, eventId)).toBe(0);
    } finally {
      // The release reports both seats again: the projection makes the read model whole.
      expect((await stack.http.post(`/api/reservations/${held.body.id}/cancel`, {}, winner.token)).status).toBe(200);
    }
  });
});

describe('a seat another request is trying right now (api/routes/reservations/seats-in-flight.ts)', () => {
  it('is refused at once with 409 and its seats; no workflow starts and nothing is left in flight', async () => {
    const eventId = await newEvent();
    const other = await inFlightElsewhere(eventId, ['A-1']);
    const before = await inFlightOf(eventId);
    const refused = await stack.http.post<ReservationError>('/api/reservations', { eventId, seats: ['A-1', 'A-2'], paymentToken: 'tok_visa' }, loser.token);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: 'seats_unavailable', details: { seats: ['A-1'] } });
    expect(refused.body.details).not.toHaveProperty('reservation');
    expect(await reservationRows(loser.id, eventId)).toBe(0);
    expect(await inFlightOf(eventId)).toEqual(before);
    expect(before).toEqual([`A-1→${other}`]);
  });

  it('of 6 customers asking for the same seats at once, one books them and only its workflow runs', async () => {
    const eventId = await newEvent();
    const customers = await Promise.all(Array.from({ length: 6 }, () => stack.http.user('customer')));
    const answers = await Promise.all(customers.map((customer) => stack.http.post<Reservation | ReservationError>('/api/reservations', { eventId, seats: ['B-1', 'B-2'], paymentToken: 'tok_visa' }, customer.token)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    for (const answer of answers.filter((a) => a.status === 409)) expect(answer.body).toMatchObject({ error: 'seats_unavailable' });
    const rows = await stack.stores.booking.sql<{ id: string; status: string }[]>`SELECT id, status FROM booking.reservations WHERE event_id = ${eventId}`;
    expect(rows.map((row) => row.status)).toEqual(['confirmed']);
    // The winner's entries stay (its reservation refuses the seats anyway); every loser left.
    expect(await inFlightOf(eventId)).toEqual([`B-1→${rows[0]?.id}`, `B-2→${rows[0]?.id}`]);
  });

  it('overlapping requests at once (a ring of pairs) never deadlock: each is booked or refused, no seat twice', async () => {
    const eventId = await newEvent();
    const customers = await Promise.all(Array.from({ length: 5 }, () => stack.http.user('customer')));
    // A-1+A-2, A-2+A-3, ... A-5+A-1: every request overlaps two others, in both orders.
    const pairs = customers.map((_, i) => [`A-${i + 1}`, `A-${((i + 1) % 5) + 1}`]);
    const answers = await Promise.all(customers.map((customer, i) => stack.http.post<Reservation | ReservationError>('/api/reservations', { eventId, seats: pairs[i], paymentToken: 'tok_visa' }, customer.token)));
    expect(answers.every((answer) => answer.status === 201 || answer.status === 409), JSON.stringify(answers.map((a) => [a.status, a.body]))).toBe(true);
    expect(answers.filter((answer) => answer.status === 201).length).toBeGreaterThanOrEqual(1);
    const sold = (await stack.stores.booking.sql<{ seat_ids: string[] }[]>`SELECT seat_ids FROM booking.reservations WHERE event_id = ${eventId} AND status = 'confirmed'`).flatMap((row) => row.seat_ids);
    expect(new Set(sold).size).toBe(sold.length);
  });

  it('ends when its request fails: seats whose payment was declined can be booked by the next customer at once', async () => {
    const eventId = await newEvent();
    const declined = await stack.http.post<ReservationError>('/api/reservations', { eventId, seats: ['C-1'], paymentToken: 'tok_declined' }, loser.token);
    expect(declined.status).toBe(402);
    expect(await inFlightOf(eventId)).toEqual([]);
    expect((await stack.http.post('/api/reservations', { eventId, seats: ['C-1'], paymentToken: 'tok_visa' }, winner.token)).status).toBe(201);
  });

  it('of a 202, ends with its reservation, not at its expiry', async () => {
    const eventId = await newEvent();
    const accepted = await stack.http.post<{ id: string }>('/api/reservations', { eventId, seats: ['C-3'], paymentToken: 'tok_declined' }, loser.token, { Prefer: 'respond-async' });
    expect(accepted.status).toBe(202);
    expect(await inFlightOf(eventId)).toEqual([`C-3→${accepted.body.id}`]);
    await expect.poll(async () => (await stack.http.get<{ status: string }>(`/api/reservations/${accepted.body.id}`, loser.token)).body.status, { timeout: 15_000 }).toBe('failed');
    // Its entry is still there (it lasts 30 s by default), and no longer counts.
    expect(await inFlightOf(eventId)).toEqual([`C-3→${accepted.body.id}`]);
    const booked = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['C-3'], paymentToken: 'tok_visa' }, winner.token);
    expect(booked.status).toBe(201);
    expect(await inFlightOf(eventId)).toEqual([`C-3→${booked.body.id}`]);
  });

  it('past its expiry, refuses nothing (an API process that died mid-request)', async () => {
    const eventId = await newEvent();
    await inFlightElsewhere(eventId, ['A-4'], { expired: true });
    const booked = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['A-4', 'A-5'], paymentToken: 'tok_visa' }, winner.token);
    expect(booked.status).toBe(201);
    expect(await inFlightOf(eventId)).toEqual([`A-4→${booked.body.id}`, `A-5→${booked.body.id}`]);
  });

  it('does not stop the same Idempotency-Key from getting its reservation back', async () => {
    const eventId = await newEvent();
    const headers = { 'idempotency-key': `in-flight-${eventId}` };
    const first = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['B-5'], paymentToken: 'tok_visa' }, winner.token, headers);
    expect(first.status).toBe(201);
    // Another request (a loser of the race, still waiting for its refusal) enters the seat now.
    await inFlightElsewhere(eventId, ['B-5']);
    try {
      const again = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['B-5'], paymentToken: 'tok_visa' }, winner.token, headers);
      expect(again.status).toBe(201);
      expect(again.body).toMatchObject({ id: first.body.id, status: 'confirmed' });
    } finally {
      await stack.stores.booking.sql`DELETE FROM inflight.seat_requests WHERE event_id = ${eventId}`;
    }
  });
});
