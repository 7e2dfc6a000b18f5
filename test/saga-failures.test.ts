import { ApplicationFailure } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Failure } from '../lib/failures.js';
import { startStack, type Stack } from './support/stack.js';

import type { Reservation } from '../api/contract/index.js';

const touched: { stack: Stack; eventId: string }[] = [];
afterEach(async () => {
  for (const { stack, eventId } of touched.splice(0)) {
    await stack.projectionCaughtUp();
    expect(await stack.invariants({ eventIds: [eventId], settled: true, readModel: true })).toEqual([]);
  }
});

describe('the ticket step failing for good', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      activityOverrides: () => ({
        issueTickets: async () => {
          throw ApplicationFailure.create({ type: Failure.TicketingFailed, message: 'Ticketing is down', nonRetryable: true });
        },
      }),
    });
  });
  afterAll(() => stack?.stop());

  it('refunds the payment, releases the seats and issues nothing', async () => {
    const organizer = await stack.http.user('organizer');
    const customer = await stack.http.user('customer');
    const eventId = await stack.http.event(organizer.token, { type: 'reserved', rows: 2, seatsPerRow: 4 }, 1500);
    touched.push({ stack, eventId });
    const result = await stack.http.post<{ error: string; details: { reservation: Reservation } }>('/api/reservations', { eventId, seats: ['A-1', 'A-2'], paymentToken: 'tok_visa' }, customer.token);
    expect(result.status).toBe(502);
    expect(result.body.error).toBe('reservation_failed');
    const reservationId = result.body.details.reservation.id;
    const charges = await stack.stores.payments.sql<{ status: string; amount_cents: number }[]>`SELECT status, amount_cents FROM payments.charges WHERE reservation_id = ${reservationId}`;
    expect(charges).toEqual([{ status: 'captured', amount_cents: 3000 }]);
    const refunds = await stack.stores.payments.sql<{ amount_cents: number }[]>`SELECT amount_cents FROM payments.refunds WHERE reservation_id = ${reservationId}`;
    expect(refunds).toEqual([{ amount_cents: 3000 }]);
    const seats = await stack.stores.booking.sql<{ status: string }[]>`SELECT status FROM booking.seats WHERE event_id = ${eventId} AND seat_id IN ('A-1', 'A-2')`;
    expect(seats.map((seat) => seat.status)).toEqual(['available', 'available']);
    const [reservation] = await stack.stores.booking.sql<{ status: string; failure_reason: string; refunded_cents: number }[]>`SELECT status, failure_reason, refunded_cents FROM booking.reservations WHERE id = ${reservationId}`;
    expect(reservation).toEqual({ status: 'failed', failure_reason: 'ticketing_failed', refunded_cents: 3000 });
  });
});

describe('holds that expire', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { HOLD_TTL_MS: '1500' } });
  });
  afterAll(() => stack?.stop());

  it('releases the seats and ends expired; paying afterwards is 410', async () => {
    const organizer = await stack.http.user('organizer');
    const customer = await stack.http.user('customer');
    const eventId = await stack.http.event(organizer.token);
    touched.push({ stack, eventId });
    const held = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['B-1'] }, customer.token);
    expect(held.status).toBe(201);
    expect(held.body.status).toBe('held');
    const outcome = await stack.temporal.workflow.getHandle(held.body.workflowId).result();
    expect(outcome.status).toBe('expired');
    const [seat] = await stack.stores.booking.sql<{ status: string }[]>`SELECT status FROM booking.seats WHERE event_id = ${eventId} AND seat_id = 'B-1'`;
    expect(seat?.status).toBe('available');
    const late = await stack.http.post(`/api/reservations/${held.body.id}/pay`, { paymentToken: 'tok_visa' }, customer.token);
    expect(late.status).toBe(410);
    expect(late.body.error).toBe('hold_expired');
    const fetched = await stack.http.get<Reservation>(`/api/reservations/${held.body.id}`, customer.token);
    expect(fetched.body.status).toBe('expired');
    const [charges] = await stack.stores.payments.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM payments.charges WHERE reservation_id = ${held.body.id}`;
    expect(charges?.count).toBe(0);
  });

  it('makes every saga findable in Temporal by its search attributes', async () => {
    const organizer = await stack.http.user('organizer');
    const customer = await stack.http.user('customer');
    const eventId = await stack.http.event(organizer.token);
    touched.push({ stack, eventId });
    const booked = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['A-3', 'A-4'], paymentToken: 'tok_visa' }, customer.token);
    expect(booked.status).toBe(201);
    await expect
      .poll(
        async () => {
          const found: { id: string; status: unknown; seats: unknown; customer: unknown }[] = [];
          for await (const execution of stack.temporal.workflow.list({ query: `EventId="${eventId}"` })) {
            found.push({
              id: execution.workflowId,
              status: execution.searchAttributes.ReservationStatus,
              seats: execution.searchAttributes.SeatIds,
              customer: execution.searchAttributes.CustomerId,
            });
          }
          return found;
        },
        { timeout: 10_000 },
      )
      .toEqual([{ id: booked.body.workflowId, status: ['confirmed'], seats: ['A-3', 'A-4'], customer: [customer.id] }]);
  });

  it('lists the units the seat-lock chose with the status, in one search-attribute upsert a paid booking', async () => {
    const organizer = await stack.http.user('organizer');
    const customer = await stack.http.user('customer');
    const eventId = await stack.http.event(organizer.token, { type: 'general', capacity: 20 });
    touched.push({ stack, eventId });
    const paid = await stack.http.post<Reservation>('/api/reservations', { eventId, quantity: 2, paymentToken: 'tok_visa' }, customer.token);
    expect(paid.status).toBe(201);
    const held = await stack.http.post<Reservation>('/api/reservations', { eventId, quantity: 1 }, customer.token);
    expect(held.status).toBe(201);
    expect(held.body.status).toBe('held');
    const listed = async (query: string) => {
      const found: { id: string; seats: unknown }[] = [];
      for await (const execution of stack.temporal.workflow.list({ query: `EventId="${eventId}" AND ${query}` })) found.push({ id: execution.workflowId, seats: execution.searchAttributes.SeatIds });
      return found;
    };
    const unitsOf = (reservation: Reservation) => reservation.units ?? [];
    await expect.poll(() => listed('ReservationStatus="confirmed"'), { timeout: 10_000 }).toEqual([{ id: paid.body.workflowId, seats: unitsOf(paid.body) }]);
    await expect.poll(() => listed('ReservationStatus="held"'), { timeout: 10_000 }).toEqual([{ id: held.body.workflowId, seats: unitsOf(held.body) }]);
    const history = await stack.temporal.workflow.getHandle(paid.body.workflowId).fetchHistory();
    const upserts = (history.events ?? []).filter((event) => event.upsertWorkflowSearchAttributesEventAttributes);
    expect(upserts).toHaveLength(1);
    await stack.http.post(`/api/reservations/${held.body.id}/cancel`, {}, customer.token);
  });
});

describe('answers that do not wait for the saga', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { RESERVATION_WAIT_MS: '1' } });
  });
  afterAll(() => stack?.stop());

  it('answers 202 pending within the wait limit, and the reservation confirms behind it', async () => {
    const organizer = await stack.http.user('organizer');
    const customer = await stack.http.user('customer');
    const eventId = await stack.http.event(organizer.token);
    touched.push({ stack, eventId });
    const accepted = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['A-1'], paymentToken: 'tok_visa' }, customer.token);
    expect(accepted.status).toBe(202);
    expect(accepted.body.status).toBe('pending');
    expect(accepted.headers.get('location')).toBe(`/api/reservations/${accepted.body.id}`);
    await expect.poll(async () => (await stack.http.get<Reservation>(`/api/reservations/${accepted.body.id}`, customer.token)).body.status, { timeout: 20_000 }).toBe('confirmed');
  });

  it('a hold can be paid the moment it is asked for', async () => {
    const organizer = await stack.http.user('organizer');
    const customer = await stack.http.user('customer');
    const eventId = await stack.http.event(organizer.token);
    touched.push({ stack, eventId });
    const accepted = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['A-2'] }, customer.token, { Prefer: 'respond-async' });
    expect(accepted.status).toBe(202);
    const paid = await stack.http.post<Reservation>(`/api/reservations/${accepted.body.id}/pay`, { paymentToken: 'tok_visa' }, customer.token);
    expect(paid.status).toBe(200);
    expect(paid.body.status).toBe('confirmed');
  });
});
