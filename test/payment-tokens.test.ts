import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reservation, ReservationError } from '../api/contract/index.js';
import { reservationWorkflowId } from '../lib/reservations.js';
import { startStack, type Stack } from './support/stack.js';

/**
 * Payment tokens never reach Temporal (lib/payment-tokens.ts): the API deposits them in the payments
 * store's vault and the workflow carries a reference. Each case books through the HTTP API, then
 * reads the workflow's whole history from Temporal, payloads decoded, and searches it.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { EXPERIMENTS: 'on' } }); // the two-phase case picks its protocol by header
});
afterAll(() => stack?.stop());

/** Bytes as the history holds them (base64 text once fetched, or raw), read as UTF-8. */
const decoded = (bytes: unknown): unknown =>
  bytes instanceof Uint8Array ? Buffer.from(bytes).toString('utf8') : typeof bytes === 'string' ? Buffer.from(bytes, 'base64').toString('utf8') : bytes;

/** The history as text, every payload decoded: JSON payloads (inputs, results, failures' details) become readable JSON. */
async function historyText(reservationId: string): Promise<string> {
  const history = await stack.temporal.workflow.getHandle(reservationWorkflowId(reservationId)).fetchHistory();
  return JSON.stringify(history, (_key, value: unknown) => {
    if (value instanceof Uint8Array) return decoded(value);
    if (value && typeof value === 'object' && 'metadata' in value && 'data' in value) {
      const payload = value as { metadata: Record<string, unknown>; data: unknown };
      return { metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, bytes]) => [key, decoded(bytes)])), data: decoded(payload.data) };
    }
    return value;
  });
}

const depositsOf = async (reservationId: string) => (await stack.stores.payments.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM payments.payment_tokens WHERE reservation_id = ${reservationId}`)[0]?.count;

describe('payment tokens are kept out of workflow history', () => {
  it('a booking paid at once: confirmed, the token is nowhere in its history, and the vault keeps nothing', async () => {
    const organizer = await stack.http.user('organizer');
    const customer = await stack.http.user('customer');
    const eventId = await stack.http.event(organizer.token);
    const booked = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['A-1'], paymentToken: 'tok_visa' }, customer.token);
    expect(booked.status).toBe(201);
    expect(booked.body.status).toBe('confirmed');
    const text = await historyText(booked.body.id);
    // The search reads decoded payloads: the workflow's input and the charge's input are there.
    expect(text).toContain(booked.body.id);
    expect(text).toMatch(/paymentToken\W+vault:[0-9a-f-]{36}/);
    expect(text).not.toContain('tok_visa');
    const [charge] = await stack.stores.payments.sql<{ status: string }[]>`SELECT status FROM payments.charges WHERE reservation_id = ${booked.body.id}`;
    expect(charge?.status).toBe('captured');
    expect(await depositsOf(booked.body.id)).toBe(0);
  });

  it('a hold paid later: the pay update carries a reference too', async () => {
    const organizer = await stack.http.user('organizer');
    const customer = await stack.http.user('customer');
    const eventId = await stack.http.event(organizer.token);
    const held = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['A-2'] }, customer.token);
    expect(held.body.status).toBe('held');
    const paid = await stack.http.post<Reservation>(`/api/reservations/${held.body.id}/pay`, { paymentToken: 'tok_visa' }, customer.token);
    expect(paid.status).toBe(200);
    expect(paid.body.status).toBe('confirmed');
    const text = await historyText(held.body.id);
    expect(text).toContain('vault:');
    expect(text).not.toContain('tok_visa');
    expect(await depositsOf(held.body.id)).toBe(0);
  });

  it('a token the gateway declines is not echoed into the history or the ledger either', async () => {
    const organizer = await stack.http.user('organizer');
    const customer = await stack.http.user('customer');
    const eventId = await stack.http.event(organizer.token);
    const secret = `tok_secret_${randomUUID()}`;
    const refused = await stack.http.post<ReservationError>('/api/reservations', { eventId, seats: ['A-3'], paymentToken: secret }, customer.token);
    expect(refused.status).toBe(402);
    expect(JSON.stringify(refused.body)).not.toContain(secret);
    const reservationId = refused.body.details?.reservation?.id ?? '';
    expect(reservationId).toMatch(/^[0-9a-f-]{36}$/);
    const text = await historyText(reservationId);
    expect(text).toContain(reservationId);
    expect(text).not.toContain(secret);
    const ledger = await stack.stores.payments.sql`SELECT * FROM payments.charges WHERE reservation_id = ${reservationId}`;
    expect(ledger).toHaveLength(1);
    expect(JSON.stringify(ledger)).not.toContain(secret);
    expect(await depositsOf(reservationId)).toBe(0);
  });

  it('two-phase commit: the token is redeemed inside the prepared transaction, never in history', async () => {
    const organizer = await stack.http.user('organizer');
    const customer = await stack.http.user('customer');
    const eventId = await stack.http.event(organizer.token);
    const booked = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['B-1'], paymentToken: 'tok_visa' }, customer.token, { 'Booking-Protocol': '2pc' });
    expect(booked.status).toBe(201);
    expect(booked.body.status).toBe('confirmed');
    const text = await historyText(booked.body.id);
    expect(text).toContain('vault:');
    expect(text).not.toContain('tok_visa');
    expect(await depositsOf(booked.body.id)).toBe(0);
  });
});
