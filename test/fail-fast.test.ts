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
