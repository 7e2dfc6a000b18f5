import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Reservation, ReservationError } from '../api/contract/index.js';
import { EVENT_CHANNEL } from '../db/channels.js';
import { startStack, type Stack } from './support/stack.js';

/**
 * The booking path remembers events per API process (api/event-cache.ts). A long expiry here, so
 * that only the invalidation (this process's own, or another process's NOTIFY) can make a change
 * visible: no booking may be priced or allowed from the row as it was before a change.
 */
let stack: Stack;
const statements: string[] = [];
let organizer: { token: string };
let customer: { token: string };
const touchedEvents: string[] = [];

beforeAll(async () => {
  stack = await startStack({ env: { EVENT_CACHE_MS: '600000' }, onApiQuery: (statement) => statements.push(statement) });
  organizer = await stack.http.user('organizer');
  customer = await stack.http.user('customer');
});
afterEach(async () => {
  await stack.projectionCaughtUp();
  expect(await stack.invariants({ eventIds: touchedEvents, readModel: true })).toEqual([]);
});
afterAll(() => stack?.stop());

async function newEvent(priceCents: number): Promise<string> {
  const id = await stack.http.event(organizer.token, { type: 'general', capacity: 50 }, priceCents);
  touchedEvents.push(id);
  return id;
}

const post = (eventId: string) => stack.http.post<Reservation & ReservationError>('/api/reservations', { eventId, quantity: 1, paymentToken: 'tok_visa' }, customer.token);

/** A booking; one answered 202 on a loaded machine is followed to its end, so that no saga is still running at the invariant check. */
async function book(eventId: string) {
  return followed(await post(eventId));
}

async function followed(answer: Awaited<ReturnType<typeof post>>) {
  if (answer.status !== 202) return answer;
  await expect
    .poll(async () => (await stack.http.get<Reservation>(`/api/reservations/${answer.body.id}`, customer.token)).body.status, { timeout: 30_000 })
    .not.toBe('pending');
  return answer;
}

describe('the booking path sees every change of an event', () => {
  it('a booking right after a price PATCH is charged the new price', async () => {
    const eventId = await newEvent(2000);
    const before = await book(eventId);
    expect(before.status).toBe(201);
    expect(before.body.amountCents).toBe(2000);
    expect((await stack.http.request('PATCH', `/api/events/${eventId}`, { token: organizer.token, body: { priceCents: 3500 } })).status).toBe(200);
    const after = await book(eventId);
    expect(after.status).toBe(201);
    expect(after.body.amountCents).toBe(3500);
  });

  it('a booking right after the event is cancelled is refused with 409 event_not_on_sale', async () => {
    const eventId = await newEvent(2000);
    const sold = await book(eventId);
    expect(sold.status).toBe(201);
    expect((await stack.http.request('DELETE', `/api/events/${eventId}`, { token: organizer.token })).status).toBe(202);
    const refused = await book(eventId);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('event_not_on_sale');
    // The cancellation refunds the sale through its own workflow: the invariant check after this test
    // must not catch it halfway (refunded and voided, not yet recorded cancelled).
    await expect.poll(async () => (await stack.http.get<Reservation>(`/api/reservations/${sold.body.id}`, customer.token)).body.status, { timeout: 30_000 }).toBe('cancelled');
  });

  it('a change committed by another API process reaches this one through its NOTIFY', async () => {
    const eventId = await newEvent(2000);
    expect((await book(eventId)).body.amountCents).toBe(2000);
    // Without the notification this process keeps its copy (the cache is in use)…
    await stack.owner.sql`UPDATE catalog.events SET price_cents = 4100, updated_at = now() WHERE id = ${eventId}`;
    expect((await book(eventId)).body.amountCents).toBe(2000);
    // …and what another process's PATCH sends after its commit makes the next bookings read afresh.
    await stack.owner.sql`SELECT pg_notify(${EVENT_CHANNEL}, ${eventId})`;
    const deadline = Date.now() + 5_000;
    let amount: number | undefined;
    while (Date.now() < deadline) {
      amount = (await book(eventId)).body.amountCents;
      if (amount === 4100) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(amount).toBe(4100);
  });
});

describe('what a booking request sends to Postgres', () => {
  it('a booking of an event already looked at does not read the event again', async () => {
    const eventId = await newEvent(2000);
    expect((await book(eventId)).status).toBe(201);
    statements.length = 0;
    // Only the booking request's own statements: following a 202 would read the reservation's event facts.
    const warm = await post(eventId);
    const sent = [...statements];
    expect((await followed(warm)).status).toBe(201);
    // The figure for docs/performance.md ("Lever: the API's event lookups").
    console.info(`API statements for a warm general-admission booking: ${sent.length}`);
    expect(sent.filter((statement) => /from "catalog"\."events"/i.test(statement))).toEqual([]);
    expect(sent.length).toBeGreaterThan(0);
  });
});
