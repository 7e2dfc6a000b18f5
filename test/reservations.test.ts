import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventCancellationWorkflowId } from '../lib/reservations.js';
import { startStack, type Stack } from './support/stack.js';

import type { Reservation, ReservationError as ErrorBody } from '../api/contract/index.js';

let stack: Stack;
let organizer: { token: string; id: string };
let customer: { token: string; id: string };
const touchedEvents: string[] = [];

beforeAll(async () => {
  stack = await startStack({ env: { HOLD_TTL_MS: '60000' } });
  organizer = await stack.http.user('organizer');
  customer = await stack.http.user('customer');
});

afterEach(async () => {
  await stack.projectionCaughtUp();
  expect(await stack.invariants({ eventIds: touchedEvents, readModel: true })).toEqual([]);
});

afterAll(async () => {
  await stack?.stop();
});

async function newEvent(seating?: Parameters<Stack['http']['event']>[1], price = 2000): Promise<string> {
  const id = await stack.http.event(organizer.token, seating, price);
  touchedEvents.push(id);
  return id;
}

const charges = async (reservationId: string) =>
  stack.stores.payments.sql<{ status: string; amount_cents: number }[]>`SELECT status, amount_cents FROM payments.charges WHERE reservation_id = ${reservationId}`;
const refunds = async (reservationId: string) => stack.stores.payments.sql<{ amount_cents: number }[]>`SELECT amount_cents FROM payments.refunds WHERE reservation_id = ${reservationId}`;
const seatStatus = async (eventId: string, seats: string[]) =>
  Object.fromEntries((await stack.stores.booking.sql<{ seat_id: string; status: string }[]>`SELECT seat_id, status FROM booking.seats WHERE event_id = ${eventId} AND seat_id = ANY(${seats}::text[])`).map((row) => [row.seat_id, row.status]));

describe('booking with a payment token', () => {
  it('confirms, charges the right amount once and issues one ticket per seat', async () => {
    const eventId = await newEvent(undefined, 2500);
    const result = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['A-1', 'A-2'], paymentToken: 'tok_visa' }, customer.token);
    expect(result.status).toBe(201);
    expect(result.body).toMatchObject({ status: 'confirmed', seats: ['A-1', 'A-2'], amountCents: 5000 });
    expect(result.body.tickets.map((ticket) => ticket.seat)).toEqual(['A-1', 'A-2']);
    expect(result.headers.get('location')).toBe(`/api/reservations/${result.body.id}`);
    expect(await charges(result.body.id)).toEqual([{ status: 'captured', amount_cents: 5000 }]);
    expect(await seatStatus(eventId, ['A-1', 'A-2'])).toEqual({ 'A-1': 'sold', 'A-2': 'sold' });

    const fetched = await stack.http.get<Reservation>(`/api/reservations/${result.body.id}`, customer.token);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({ status: 'confirmed', workflowId: `reservation-${result.body.id}` });
    expect(fetched.body.tickets).toHaveLength(2);
  });

  it('sells general admission by quantity and never over capacity', async () => {
    const eventId = await newEvent({ type: 'general', capacity: 5 });
    const first = await stack.http.post<Reservation>('/api/reservations', { eventId, quantity: 3, paymentToken: 'tok_visa' }, customer.token);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'confirmed', quantity: 3 });
    expect(first.body.tickets).toHaveLength(3);
    const second = await stack.http.post<ErrorBody>('/api/reservations', { eventId, quantity: 3, paymentToken: 'tok_visa' }, customer.token);
    expect(second.status).toBe(409);
    expect(second.body.error).toBe('sold_out');
    const [sold] = await stack.stores.booking.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM booking.seats WHERE event_id = ${eventId} AND status <> 'available'`;
    expect(sold?.count).toBe(3);
  });

  it('a declined card answers 402, releases the seats and keeps no charge or ticket', async () => {
    const eventId = await newEvent();
    const result = await stack.http.post<ErrorBody>('/api/reservations', { eventId, seats: ['B-1'], paymentToken: 'tok_declined' }, customer.token);
    expect(result.status).toBe(402);
    expect(result.body.error).toBe('payment_declined');
    expect(await seatStatus(eventId, ['B-1'])).toEqual({ 'B-1': 'available' });
    const [row] = await stack.stores.booking.sql<{ id: string; status: string }[]>`SELECT id, status FROM booking.reservations WHERE event_id = ${eventId}`;
    expect(row?.status).toBe('failed');
    expect((await charges(row?.id ?? '')).filter((charge) => charge.status === 'captured')).toEqual([]);
    const [tickets] = await stack.stores.ticketing.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM ticketing.tickets WHERE reservation_id = ${row?.id ?? ''}`;
    expect(tickets?.count).toBe(0);
  });

  it('tok_flaky is retried until it goes through, and is charged once', async () => {
    const eventId = await newEvent();
    const result = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['C-1'], paymentToken: 'tok_flaky' }, customer.token);
    expect(result.status).toBe(201);
    expect(result.body.status).toBe('confirmed');
    expect(await charges(result.body.id)).toHaveLength(1);
  });

  it('two customers racing for the same seats: exactly one wins, the others get 409 with the seats and pay nothing', async () => {
    const rivals = await Promise.all(Array.from({ length: 4 }, () => stack.http.user('customer')));
    for (let round = 0; round < 5; round++) {
      const eventId = await newEvent();
      const results = await Promise.all(
        rivals.map((rival, index) => stack.http.post<Reservation & ErrorBody>('/api/reservations', { eventId, seats: index % 2 ? ['A-2', 'A-3'] : ['A-3', 'A-4'], paymentToken: 'tok_visa' }, rival.token)),
      );
      const winners = results.filter((result) => result.status === 201);
      const losers = results.filter((result) => result.status === 409);
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(3);
      for (const loser of losers) {
        expect(loser.body.error).toBe('seats_unavailable');
        expect(loser.body.details?.seats).toContain('A-3');
      }
      const ids = (await stack.stores.booking.sql<{ id: string }[]>`SELECT id FROM booking.reservations WHERE event_id = ${eventId}`).map((row) => row.id);
      const [captured] = await stack.stores.payments.sql<{ count: number }[]>`
        SELECT count(*)::int AS count FROM payments.charges WHERE reservation_id = ANY(${ids}::uuid[]) AND status = 'captured'`;
      expect(captured?.count).toBe(1);
    }
  });

  it('answers 400 for unknown seats and 409 for a cancelled event, starting nothing', async () => {
    const eventId = await newEvent();
    const unknown = await stack.http.post<ErrorBody>('/api/reservations', { eventId, seats: ['Z-99'], paymentToken: 'tok_visa' }, customer.token);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe('validation_failed');
    const both = await stack.http.post<ErrorBody>('/api/reservations', { eventId, seats: ['A-1'], quantity: 1 }, customer.token);
    expect(both.status).toBe(400);
    const tooMany = await stack.http.post<ErrorBody>('/api/reservations', { eventId, seats: Array.from({ length: 11 }, (_, i) => `A-${i + 1}`) }, customer.token);
    expect(tooMany.status).toBe(400);
    const [count] = await stack.stores.booking.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM booking.reservations WHERE event_id = ${eventId}`;
    expect(count?.count).toBe(0);

    const cancelledId = await newEvent();
    expect((await stack.http.request('DELETE', `/api/events/${cancelledId}`, { token: organizer.token })).status).toBe(202);
    await stack.temporal.workflow.getHandle(eventCancellationWorkflowId(cancelledId)).result();
    const closed = await stack.http.post<ErrorBody>('/api/reservations', { eventId: cancelledId, seats: ['A-1'], paymentToken: 'tok_visa' }, customer.token);
    expect(closed.status).toBe(409);
    expect(closed.body.error).toBe('event_not_on_sale');
    const [afterCancel] = await stack.stores.booking.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM booking.reservations WHERE event_id = ${cancelledId}`;
    expect(afterCancel?.count).toBe(0);
  });
});

describe('holds', () => {
  it('holds without a payment token, then pay confirms it', async () => {
    const eventId = await newEvent();
    const held = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['A-5'] }, customer.token);
    expect(held.status).toBe(201);
    expect(held.body.status).toBe('held');
    expect(Date.parse(held.body.expiresAt ?? '')).toBeGreaterThan(Date.now());
    expect(await seatStatus(eventId, ['A-5'])).toEqual({ 'A-5': 'held' });
    expect(await charges(held.body.id)).toEqual([]);

    const paid = await stack.http.post<Reservation>(`/api/reservations/${held.body.id}/pay`, { paymentToken: 'tok_visa' }, customer.token);
    expect(paid.status).toBe(200);
    expect(paid.body.status).toBe('confirmed');
    expect(paid.body.tickets).toHaveLength(1);
    expect(await seatStatus(eventId, ['A-5'])).toEqual({ 'A-5': 'sold' });
  });

  it('another customer cannot pay or cancel someone else’s hold', async () => {
    const eventId = await newEvent();
    const held = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['A-1'] }, customer.token);
    const stranger = await stack.http.user('customer');
    expect((await stack.http.post(`/api/reservations/${held.body.id}/pay`, { paymentToken: 'tok_visa' }, stranger.token)).status).toBe(404);
    expect((await stack.http.post(`/api/reservations/${held.body.id}/cancel`, {}, stranger.token)).status).toBe(404);
    expect((await stack.http.post(`/api/reservations/${held.body.id}/cancel`, {}, customer.token)).status).toBe(200);
  });

  it('cancelling undoes a charge and tickets left by an attempt the workflow never saw', async () => {
    const eventId = await newEvent(undefined, 1500);
    const held = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['C-1'] }, customer.token);
    expect(held.status).toBe(201);
    // What a local activity of a failed workflow task, or of a worker that died, leaves behind.
    await stack.stores.payments.sql`
      INSERT INTO payments.charges (idempotency_key, reservation_id, amount_cents, currency, status, gateway_reference)
      VALUES (${`reservation-${held.body.id}:charge`}, ${held.body.id}, 1500, 'EUR', 'captured', 'ch_lost_attempt')`;
    await stack.stores.ticketing.sql`INSERT INTO ticketing.tickets (code, reservation_id, event_id, seat_id) VALUES (${`lost-${held.body.id}`}, ${held.body.id}, ${eventId}, 'C-1')`;
    const cancelled = await stack.http.post(`/api/reservations/${held.body.id}/cancel`, {}, customer.token);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', refundedCents: 1500 });
    expect(await refunds(held.body.id)).toEqual([{ amount_cents: 1500 }]);
    const [ticket] = await stack.stores.ticketing.sql<{ status: string }[]>`SELECT status FROM ticketing.tickets WHERE code = ${`lost-${held.body.id}`}`;
    expect(ticket?.status).toBe('void');
  });

  it('cancelling a hold releases the seats without any charge', async () => {
    const eventId = await newEvent();
    const held = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['B-2', 'B-3'] }, customer.token);
    const cancelled = await stack.http.post(`/api/reservations/${held.body.id}/cancel`, {}, customer.token);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', refundedCents: 0 });
    expect(await seatStatus(eventId, ['B-2', 'B-3'])).toEqual({ 'B-2': 'available', 'B-3': 'available' });
  });
});

describe('cancelling a confirmed reservation', () => {
  it('refunds, voids the tickets and frees the seats; a second cancel gives the same answer', async () => {
    const eventId = await newEvent(undefined, 3000);
    const booked = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['C-4', 'C-5'], paymentToken: 'tok_visa' }, customer.token);
    expect(booked.status).toBe(201);
    const cancelled = await stack.http.post(`/api/reservations/${booked.body.id}/cancel`, {}, customer.token);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', refundedCents: 6000 });
    expect(await refunds(booked.body.id)).toEqual([{ amount_cents: 6000 }]);
    for (const ticket of booked.body.tickets) {
      const fetched = await stack.http.get(`/api/tickets/${ticket.code}`);
      expect(fetched.body.status).toBe('void');
    }
    expect(await seatStatus(eventId, ['C-4', 'C-5'])).toEqual({ 'C-4': 'available', 'C-5': 'available' });
    const again = await stack.http.post(`/api/reservations/${booked.body.id}/cancel`, {}, customer.token);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'cancelled', refundedCents: 6000 });
    expect(await refunds(booked.body.id)).toHaveLength(1);
  });
});

describe('Idempotency-Key', () => {
  it('the same key twice, concurrently, makes one reservation and one charge', async () => {
    const eventId = await newEvent();
    const body = { eventId, seats: ['A-1'], paymentToken: 'tok_visa' };
    const headers = { 'Idempotency-Key': `key-${eventId}` };
    const [first, second] = await Promise.all([
      stack.http.post<Reservation>('/api/reservations', body, customer.token, headers),
      stack.http.post<Reservation>('/api/reservations', body, customer.token, headers),
    ]);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    expect(await charges(first.body.id)).toHaveLength(1);
    const later = await stack.http.post<Reservation>('/api/reservations', body, customer.token, headers);
    expect(later.body.id).toBe(first.body.id);
    const [count] = await stack.stores.booking.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM booking.reservations WHERE event_id = ${eventId}`;
    expect(count?.count).toBe(1);
  });

  it('the same key with another body is 422 and changes nothing', async () => {
    const eventId = await newEvent();
    const headers = { 'Idempotency-Key': `key-${eventId}` };
    const first = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['A-1'], paymentToken: 'tok_visa' }, customer.token, headers);
    expect(first.status).toBe(201);
    const reused = await stack.http.post<ErrorBody>('/api/reservations', { eventId, seats: ['A-2'], paymentToken: 'tok_visa' }, customer.token, headers);
    expect(reused.status).toBe(422);
    expect(reused.body.error).toBe('idempotency_key_reused');
    expect(await seatStatus(eventId, ['A-2'])).toEqual({ 'A-2': 'available' });
  });
});

describe('ticket check-in', () => {
  it('admits a valid ticket once; a void ticket is refused', async () => {
    const eventId = await newEvent();
    const booked = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['A-1', 'A-2'], paymentToken: 'tok_visa' }, customer.token);
    const [first, second] = booked.body.tickets;
    expect((await stack.http.post(`/api/tickets/${first?.code}/check-in`, {}, customer.token)).status).toBe(403);
    const admitted = await stack.http.post(`/api/tickets/${first?.code}/check-in`, {}, organizer.token);
    expect(admitted.body).toMatchObject({ status: "used" });
    expect(admitted.status).toBe(200);
    const again = await stack.http.post(`/api/tickets/${first?.code}/check-in`, {}, organizer.token);
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('already_checked_in');
    await stack.stores.ticketing.sql`UPDATE ticketing.tickets SET status = 'void' WHERE code = ${second?.code ?? ''}`;
    const voided = await stack.http.post(`/api/tickets/${second?.code}/check-in`, {}, organizer.token);
    expect(voided.status).toBe(409);
    expect(voided.body.error).toBe('ticket_void');
    await stack.stores.ticketing.sql`UPDATE ticketing.tickets SET status = 'valid' WHERE code = ${second?.code ?? ''}`;
  });
});

describe('event cancellation', () => {
  it('cancels and refunds every live reservation through its own workflow', async () => {
    const eventId = await newEvent(undefined, 1000);
    const confirmed = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['A-1'], paymentToken: 'tok_visa' }, customer.token);
    const held = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['A-2'] }, customer.token);
    expect([confirmed.status, held.status]).toEqual([201, 201]);
    expect((await stack.http.request('DELETE', `/api/events/${eventId}`, { token: customer.token })).status).toBe(403);
    const deleted = await stack.http.request('DELETE', `/api/events/${eventId}`, { token: organizer.token });
    expect(deleted.status).toBe(202);
    await stack.temporal.workflow.getHandle(`event-${eventId}-cancellation`).result();
    await expect.poll(async () => (await stack.stores.booking.sql<{ status: string }[]>`SELECT status FROM booking.reservations WHERE event_id = ${eventId} ORDER BY status`).map((row) => row.status), { timeout: 20_000 }).toEqual(['cancelled', 'cancelled']);
    expect(await refunds(confirmed.body.id)).toEqual([{ amount_cents: 1000 }]);
    const late = await stack.http.post<ErrorBody>('/api/reservations', { eventId, seats: ['A-3'], paymentToken: 'tok_visa' }, customer.token);
    expect(late.status).toBe(409);
    expect(late.body.error).toBe('event_not_on_sale');
  });
});
