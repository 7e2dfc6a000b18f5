import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedGateway } from '../activities/payment-gateway.js';
import { createPaymentActivities } from '../activities/payments.js';
import { createSeatActivities } from '../activities/seats.js';
import { createTicketActivities } from '../activities/tickets.js';
import { createPaymentVault, type PaymentVault } from '../api/payment-vault.js';
import { connectAs, connectAsOwner, type DatabaseHandle } from '../db/client.js';
import { loadConfig } from '../lib/config.js';
import { chargeKeyOf, type ReservationRequest } from '../lib/reservations.js';

/**
 * How many SQL statements each saga step sends (BEGIN and COMMIT included): a step's round trips are
 * what a booking waits for while it holds its locks, and each costs the worker and Postgres CPU
 * (docs/performance.md, "Lever 2"). A change that adds a statement to a step fails here: if it is
 * worth it, raise the budget in the same commit and say why.
 */
const budgets = {
  holdGeneralAdmission: 6, // BEGIN, both locks, inventory + state + caps, claim, record + outbox + NOTIFY, COMMIT
  holdReserved: 7, // the claim is a locking SELECT, then the UPDATE
  holdRetried: 4, // a retry after the commit: BEGIN, locks, state (finds its seats), COMMIT
  chargePayment: 6, // BEGIN, the key's lock, an earlier charge?, redeem the vault deposit, record, COMMIT
  issueTickets: 1,
  confirmSeats: 5, // BEGIN, lock, sell + read seats, record + outbox + NOTIFY, COMMIT
};

let statements: string[] = [];
const handles: DatabaseHandle[] = [];
let seats: ReturnType<typeof createSeatActivities>;
let payments: ReturnType<typeof createPaymentActivities>;
let tickets: ReturnType<typeof createTicketActivities>;
let vault: PaymentVault;

beforeAll(async () => {
  const cfg = loadConfig(process.env);
  const observe = (statement: string) => statements.push(statement);
  const [booking, pay, ticketing] = (['booking', 'payments', 'ticketing'] as const).map((service) => connectAs(service, { cfg, max: 1, onQuery: observe })) as [DatabaseHandle, DatabaseHandle, DatabaseHandle];
  const paymentsOwner = connectAsOwner({ store: 'payments', cfg, max: 1 });
  handles.push(booking, pay, ticketing, paymentsOwner);
  vault = createPaymentVault(paymentsOwner.db);
  seats = createSeatActivities(booking.sql);
  payments = createPaymentActivities(pay.sql, createSimulatedGateway({ failureRate: 0, latencyMs: 0 }));
  tickets = createTicketActivities(ticketing.sql);
  // A fresh connection first looks up the array types: connect before counting.
  await Promise.all(handles.map((handle) => handle.sql`SELECT 1`));
});
afterAll(async () => {
  await Promise.all(handles.map((handle) => handle.close()));
});

async function counted(step: () => Promise<unknown>): Promise<string[]> {
  statements = [];
  await step();
  return statements;
}

function requestFor(seating: 'general' | 'reserved', eventId: string, seatIds: string[] = []): ReservationRequest {
  return {
    reservationId: randomUUID(),
    eventId,
    customerId: randomUUID(),
    seatIds,
    quantity: seating === 'general' ? 2 : seatIds.length,
    amountCents: 1000,
    currency: 'EUR',
    eventName: 'Counted',
    seating,
    capacity: seating === 'general' ? 50 : 20,
    ...(seating === 'reserved' ? { rows: 2, seatsPerRow: 10 } : {}),
    paymentToken: 'tok_visa',
    holdTtlMs: 60_000,
    startsAt: new Date(Date.now() + 86_400_000).toISOString(),
    requestHash: 'counted',
  };
}

describe('SQL statements per saga step', () => {
  it('a general-admission booking sends each step its budget of statements, warm or first of its event', async () => {
    const eventId = randomUUID();
    // The first booking of an event also creates its seats: in the same statement.
    for (const request of [requestFor('general', eventId), requestFor('general', eventId)]) {
      const hold = await counted(() => seats.holdSeats(request));
      expect(hold).toHaveLength(budgets.holdGeneralAdmission);
      const held = await seats.holdSeats(request);
      expect(held.seatIds).toHaveLength(2);
      // holdSeats is idempotent: the retry finds the seats and claims nothing more.
      expect(await counted(() => seats.holdSeats(request))).toHaveLength(budgets.holdRetried);

      // As the API hands it over: a reference to the token it deposited in the vault.
      const paymentToken = await vault.deposit(request.reservationId, 'tok_visa');
      const charge = await counted(() => payments.chargePayment({ reservationId: request.reservationId, idempotencyKey: chargeKeyOf(request.reservationId), amountCents: request.amountCents, currency: request.currency, paymentToken }));
      expect(charge).toHaveLength(budgets.chargePayment);

      let issued: { code: string; seat: string }[] = [];
      expect(await counted(async () => (issued = await tickets.issueTickets({ reservationId: request.reservationId, eventId, seatIds: held.seatIds })))).toHaveLength(budgets.issueTickets);
      expect(issued.map((ticket) => ticket.seat).sort()).toEqual([...held.seatIds].sort());
      // A retried issue returns the same tickets.
      expect(await tickets.issueTickets({ reservationId: request.reservationId, eventId, seatIds: held.seatIds })).toEqual(issued);

      expect(await counted(() => seats.confirmSeats(request))).toHaveLength(budgets.confirmSeats);
    }
  });

  it('a reserved-seating hold sends its budget, and a lost claim still answers seats_unavailable', async () => {
    const eventId = randomUUID();
    const first = requestFor('reserved', eventId, ['A-1', 'A-2']);
    await seats.holdSeats(first); // creates the room
    const request = requestFor('reserved', eventId, ['A-3', 'A-4']);
    expect(await counted(() => seats.holdSeats(request))).toHaveLength(budgets.holdReserved);
    await expect(seats.holdSeats(requestFor('reserved', eventId, ['A-4', 'A-5']))).rejects.toMatchObject({ type: 'SeatsUnavailable' });
  });
});
