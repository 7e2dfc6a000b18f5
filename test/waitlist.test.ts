import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notificationPage, waitlistEntry, waitlistLeft, type WaitlistEntry } from '../api/contract/index.js';
import { eventRemindersWorkflowId } from '../lib/notifications.js';
import { pollUntil } from '../lib/poll.js';
import { waitlistWorkflowId } from '../lib/waitlist.js';
import { LiveClient } from './support/live-client.js';
import { startStack, type Stack } from './support/stack.js';

/**
 * The waiting list on the real system (docs/waiting-list.md): the API, the worker with the real
 * activities, the projection, the suite's Temporal dev server and Postgres. Offers last
 * OFFER_TTL_MS, so that expiry can be watched.
 */
const OFFER_TTL_MS = 4000;
let stack: Stack;
let worker: { stop(): Promise<void> };
let organizer: { token: string; id: string };
const sockets: LiveClient[] = [];

beforeAll(async () => {
  // The worker is the test's own, so that one test can stop it and start another.
  stack = await startStack({ env: { WAITLIST_OFFER_TTL_MS: String(OFFER_TTL_MS) }, withoutWorker: true });
  worker = await stack.startWorker();
  organizer = await stack.http.user('organizer');
});
afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.close().catch(() => 0)));
  await stack?.stop();
});

type Customer = { token: string; id: string };
type Reservation = { id: string; status: string; seats: string[]; quantity: number; expiresAt?: string };

const join = (eventId: string, customer: Customer, quantity: number) => stack.http.post<WaitlistEntry & { error?: string }>(`/api/events/${eventId}/waitlist`, { quantity }, customer.token);
const mine = (eventId: string, customer: Customer) => stack.http.get<WaitlistEntry & { error?: string }>(`/api/events/${eventId}/waitlist/me`, customer.token);
const leave = (eventId: string, customer: Customer) => stack.http.request<{ eventId: string; left: boolean }>('DELETE', `/api/events/${eventId}/waitlist`, { token: customer.token });

async function book(eventId: string, customer: Customer, seats: string[]): Promise<Reservation> {
  const booked = await stack.http.post<Reservation>('/api/reservations', { eventId, seats, paymentToken: 'tok_visa' }, customer.token);
  expect(booked.status, JSON.stringify(booked.body)).toBe(201);
  expect(booked.body.status).toBe('confirmed');
  return booked.body;
}

async function cancel(customer: Customer, reservationId: string): Promise<void> {
  const cancelled = await stack.http.post<{ status: string }>(`/api/reservations/${reservationId}/cancel`, {}, customer.token);
  expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
  expect(cancelled.body.status).toBe('cancelled');
}

/** The customer's offer, once the waiting-list workflow has started its saga and told them. */
async function offerFor(eventId: string, customer: Customer, timeoutMs = 20_000): Promise<{ reservationId: string; expiresAt: string }> {
  return pollUntil(
    async () => {
      const entry = await mine(eventId, customer);
      const notified = await stack.http.get<{ notifications: { type: string; reservationId?: string }[] }>('/api/me/notifications?limit=100', customer.token);
      const offer = entry.status === 200 ? entry.body.offer : null;
      return offer && notified.body.notifications.some((notification) => notification.type === 'offer' && notification.reservationId === offer.reservationId) ? offer : undefined;
    },
    { timeoutMs, intervalMs: 100, what: 'an offer' },
  );
}

async function reservation(customer: Customer, id: string): Promise<Reservation> {
  const found = await stack.http.get<Reservation>(`/api/reservations/${id}`, customer.token);
  expect(found.status).toBe(200);
  return found.body;
}

async function statusOf(id: string): Promise<string | undefined> {
  const [row] = await stack.stores.booking.sql<{ status: string }[]>`SELECT status::text FROM booking.reservations WHERE id = ${id}`;
  return row?.status;
}

async function seatHolders(eventId: string): Promise<Map<string, { status: string; reservation: string | null }>> {
  const rows = await stack.stores.booking.sql<{ seat_id: string; status: string; reservation_id: string | null }[]>`
    SELECT seat_id, status::text, reservation_id::text FROM booking.seats WHERE event_id = ${eventId}`;
  return new Map(rows.map((row) => [row.seat_id, { status: row.status, reservation: row.reservation_id }]));
}

/** Every status the outbox ever gave these seats, in order: what the projection, the map and the sockets saw. */
async function outboxStatuses(eventId: string, seatIds: string[]): Promise<string[]> {
  const rows = await stack.stores.booking.sql<{ payload: { changes?: { id: string; status: string }[] } }[]>`
    SELECT payload FROM booking.outbox WHERE event_id = ${eventId} AND kind = 'seats' ORDER BY txid, id`;
  return rows.flatMap((row) => (row.payload.changes ?? []).filter((change) => seatIds.includes(change.id)).map((change) => `${change.id}:${change.status}`));
}

async function expectInvariants(eventId: string): Promise<void> {
  await stack.projectionCaughtUp();
  expect(await stack.invariants({ eventIds: [eventId] })).toEqual([]);
}

/** A 1 × 4 room, sold out to `seller` in two reservations: A-1..A-2 and A-3..A-4. */
async function soldOutRoom(): Promise<{ eventId: string; seller: Customer; first: Reservation; second: Reservation }> {
  const eventId = await stack.http.event(organizer.token, { type: 'reserved', rows: 1, seatsPerRow: 4 });
  const seller = await stack.http.user('customer');
  const first = await book(eventId, seller, ['A-1', 'A-2']);
  const second = await book(eventId, seller, ['A-3', 'A-4']);
  await stack.projectionCaughtUp();
  return { eventId, seller, first, second };
}

describe('joining and leaving', () => {
  it('keeps the order of joining; joining again keeps the place with the new quantity; leaving moves the others up', async () => {
    const { eventId } = await soldOutRoom();
    const [a, b, c] = [await stack.http.user('customer'), await stack.http.user('customer'), await stack.http.user('customer')];
    const joined = [await join(eventId, a, 1), await join(eventId, b, 1), await join(eventId, c, 3)];
    expect(joined.map((answer) => answer.status)).toEqual([201, 201, 201]);
    expect(joined.map((answer) => waitlistEntry.parse(answer.body).position)).toEqual([1, 2, 3]);
    expect(joined[0]?.headers.get('location')).toBe(`/api/events/${eventId}/waitlist/me`);

    const again = await join(eventId, b, 2);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ eventId, quantity: 2, position: 2, offer: null });

    const left = await leave(eventId, a);
    expect(left.status).toBe(200);
    expect(waitlistLeft.parse(left.body)).toEqual({ eventId, left: true });
    expect((await leave(eventId, a)).body).toEqual({ eventId, left: false });
    expect((await mine(eventId, a)).status).toBe(404);
    expect((await mine(eventId, a)).body.error).toBe('waitlist_entry_not_found');
    expect((await mine(eventId, b)).body).toEqual({ eventId, quantity: 2, position: 1, offer: null });
    expect((await mine(eventId, c)).body).toEqual({ eventId, quantity: 3, position: 2, offer: null });

    const stats = await stack.http.get<{ waitlist: { waiting: number; seats: number } }>(`/api/events/${eventId}/stats`, organizer.token);
    expect(stats.body.waitlist).toEqual({ waiting: 2, seats: 5 });
    await expectInvariants(eventId);
  });

  it('customers joining at once each get a place of their own: 1 to n, every one new', async () => {
    const { eventId } = await soldOutRoom();
    const customers = await Promise.all(Array.from({ length: 12 }, () => stack.http.user('customer')));
    const answers = await Promise.all(customers.map((customer) => join(eventId, customer, 1)));
    expect(answers.map((answer) => answer.status)).toEqual(customers.map(() => 201));
    expect(answers.map((answer) => answer.body.position).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(customers.map((_, index) => index + 1));
    const places = await Promise.all(customers.map(async (customer) => (await mine(eventId, customer)).body.position));
    expect(places).toEqual(answers.map((answer) => answer.body.position));
  });

  it('refuses what a waiting list cannot be for, and changes nothing', async () => {
    const open = await stack.http.event(organizer.token, { type: 'reserved', rows: 1, seatsPerRow: 4 });
    const customer = await stack.http.user('customer');
    const available = await join(open, customer, 2);
    expect(available.status).toBe(409);
    expect(available.body).toMatchObject({ error: 'seats_available', details: { available: 4 } });
    expect((await join(open, customer, 5)).status).toBe(400);
    for (const quantity of [0, 11, 1.5, '2']) expect((await stack.http.post(`/api/events/${open}/waitlist`, { quantity }, customer.token)).status).toBe(400);
    expect((await stack.http.post(`/api/events/${open}/waitlist`, { quantity: 1, extra: true }, customer.token)).status).toBe(400);
    expect((await join('00000000-0000-4000-8000-000000000000', customer, 1)).status).toBe(404);
    expect((await stack.http.post(`/api/events/${open}/waitlist`, { quantity: 1 }, organizer.token)).status).toBe(403);
    expect((await stack.http.post(`/api/events/${open}/waitlist`, { quantity: 1 })).status).toBe(401);

    const { eventId } = await soldOutRoom();
    expect((await stack.http.request('DELETE', `/api/events/${eventId}`, { token: organizer.token })).status).toBe(202);
    const cancelled = await join(eventId, customer, 1);
    expect(cancelled.status).toBe(409);
    expect(cancelled.body.error).toBe('event_not_on_sale');
    const [rows] = await stack.stores.booking.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM booking.waitlist WHERE event_id = ANY(${[open, eventId]}::uuid[])`;
    expect(rows?.count).toBe(0);
  });
});

describe('offers', () => {
  it('a cancellation’s seats go to the first in line whose quantity fits, never showing as free; the offer paid confirms', async () => {
    const { eventId, seller, first } = await soldOutRoom();
    const [tooMany, fits, later] = [await stack.http.user('customer'), await stack.http.user('customer'), await stack.http.user('customer')];
    const socket = await LiveClient.connect(stack.wsUrl, { token: fits.token });
    sockets.push(socket);
    socket.subscribe(eventId);
    await socket.next((message) => message.type === 'snapshot' && message.eventId === eventId);
    expect((await join(eventId, tooMany, 3)).status).toBe(201);
    expect((await join(eventId, fits, 2)).status).toBe(201);
    expect((await join(eventId, later, 1)).status).toBe(201);

    await cancel(seller, first.id);
    const offer = await offerFor(eventId, fits);
    const held = await reservation(fits, offer.reservationId);
    expect(held).toMatchObject({ status: 'held', seats: ['A-1', 'A-2'], expiresAt: offer.expiresAt });
    expect(Date.parse(offer.expiresAt) - Date.now()).toBeLessThanOrEqual(OFFER_TTL_MS);
    const pushed = await socket.next((message) => message.type === 'offer');
    expect(pushed).toEqual({ type: 'offer', eventId, reservationId: offer.reservationId, expiresAt: offer.expiresAt });
    const notes = notificationPage.parse((await stack.http.get('/api/me/notifications', fits.token)).body).notifications;
    expect(notes.find((note) => note.type === 'offer')).toMatchObject({ eventId, reservationId: offer.reservationId, expiresAt: offer.expiresAt });
    // Nobody else was offered anything, and the line moved up.
    expect((await mine(eventId, tooMany)).body).toMatchObject({ position: 1, offer: null });
    expect((await mine(eventId, later)).body).toMatchObject({ position: 2, offer: null });
    expect((await mine(eventId, fits)).body).toEqual({ eventId, quantity: 2, position: null, offer });

    // The freed seats went from the seller's reservation to the offer in one commit.
    expect(await outboxStatuses(eventId, ['A-1', 'A-2'])).not.toContain('A-1:available');
    expect(await outboxStatuses(eventId, ['A-1', 'A-2'])).not.toContain('A-2:available');
    await stack.projectionCaughtUp();
    expect(socket.messages.filter((message) => message.type === 'seats').flatMap((message) => message.changes ?? []).filter((change) => change.status === 'available')).toEqual([]);
    const other = await stack.http.user('customer');
    expect((await stack.http.post('/api/reservations', { eventId, seats: ['A-1'], paymentToken: 'tok_visa' }, other.token)).status).toBe(409);

    const paid = await stack.http.post<{ status: string; tickets: unknown[] }>(`/api/reservations/${offer.reservationId}/pay`, { paymentToken: 'tok_visa' }, fits.token);
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    expect(paid.body.status).toBe('confirmed');
    expect(paid.body.tickets).toHaveLength(2);
    expect((await mine(eventId, fits)).status).toBe(404);
    await expectInvariants(eventId);
  });

  it('an offer not paid in time passes to the next in line; seats nobody in line fits go back on sale', async () => {
    const { eventId, seller, first } = await soldOutRoom();
    const [pair, single] = [await stack.http.user('customer'), await stack.http.user('customer')];
    await join(eventId, pair, 2);
    await join(eventId, single, 1);
    await cancel(seller, first.id);
    const offer = await offerFor(eventId, pair);

    const next = await offerFor(eventId, single, OFFER_TTL_MS + 20_000);
    expect(await statusOf(offer.reservationId)).toBe('expired');
    const nextHold = await reservation(single, next.reservationId);
    expect(nextHold.status).toBe('held');
    expect(nextHold.seats).toHaveLength(1);
    // The other seat fits nobody left in line: it is on sale again.
    const seats = await seatHolders(eventId);
    const freed = ['A-1', 'A-2'].filter((id) => seats.get(id)?.status === 'available');
    expect(freed).toHaveLength(1);
    expect(freed[0]).not.toBe(nextHold.seats[0]);
    expect(await outboxStatuses(eventId, nextHold.seats)).not.toContain(`${nextHold.seats[0]}:available`);
    const late = await stack.http.post(`/api/reservations/${offer.reservationId}/pay`, { paymentToken: 'tok_visa' }, pair.token);
    expect(late.status).toBe(410);
    await expectInvariants(eventId);
  });

  it('an offer declined by cancelling it passes to the next in line at once', async () => {
    const { eventId, seller, second } = await soldOutRoom();
    const [declines, accepts] = [await stack.http.user('customer'), await stack.http.user('customer')];
    await join(eventId, declines, 2);
    await join(eventId, accepts, 2);
    await cancel(seller, second.id);
    const offer = await offerFor(eventId, declines);
    await cancel(declines, offer.reservationId);
    const passed = await offerFor(eventId, accepts, 15_000);
    expect(Date.parse(passed.expiresAt)).toBeGreaterThan(Date.parse(offer.expiresAt));
    expect((await reservation(accepts, passed.reservationId)).seats).toEqual(['A-3', 'A-4']);
    expect(await outboxStatuses(eventId, ['A-3', 'A-4'])).toEqual(['A-3:held', 'A-4:held', 'A-3:sold', 'A-4:sold', 'A-3:held', 'A-4:held', 'A-3:held', 'A-4:held']);
    const paid = await stack.http.post<{ status: string }>(`/api/reservations/${passed.reservationId}/pay`, { paymentToken: 'tok_visa' }, accepts.token);
    expect(paid.body.status).toBe('confirmed');
    await expectInvariants(eventId);
  });

  it('buyers racing for seats being released never get them while someone suitable waits', async () => {
    const { eventId, seller, first } = await soldOutRoom();
    const waiter = await stack.http.user('customer');
    await join(eventId, waiter, 2);
    const racers = await Promise.all(Array.from({ length: 4 }, () => stack.http.user('customer')));
    let cancelling = true;
    const race = async (racer: Customer, index: number): Promise<number[]> => {
      const statuses: number[] = [];
      while (cancelling || statuses.length < 3) {
        const body = index % 2 === 0 ? { eventId, seats: [index < 2 ? 'A-1' : 'A-2'], paymentToken: 'tok_visa' } : { eventId, quantity: 1, bestAvailable: true, paymentToken: 'tok_visa' };
        statuses.push((await stack.http.post('/api/reservations', body, racer.token)).status);
      }
      return statuses;
    };
    const racing = racers.map(race);
    let offer: { reservationId: string };
    try {
      await cancel(seller, first.id);
      offer = await offerFor(eventId, waiter);
    } finally {
      cancelling = false;
    }
    const outcomes = (await Promise.all(racing)).flat();
    expect(outcomes.length).toBeGreaterThan(racers.length * 3 - 1);
    expect(outcomes.filter((status) => status !== 409)).toEqual([]);
    const seats = await seatHolders(eventId);
    expect([seats.get('A-1')?.reservation, seats.get('A-2')?.reservation]).toEqual([offer.reservationId, offer.reservationId]);
    await expectInvariants(eventId);
  });

  it('two releases at once hand their seats to two customers in line: each gets one offer, no seat twice', async () => {
    const { eventId, seller, first, second } = await soldOutRoom();
    const waiters = [await stack.http.user('customer'), await stack.http.user('customer'), await stack.http.user('customer')];
    for (const waiter of waiters) expect((await join(eventId, waiter, 2)).status).toBe(201);
    await Promise.all([cancel(seller, first.id), cancel(seller, second.id)]);
    const offers = await Promise.all(waiters.slice(0, 2).map((waiter) => offerFor(eventId, waiter)));
    const seats = await Promise.all(offers.map(async (offer, index) => (await reservation(waiters[index] as Customer, offer.reservationId)).seats));
    expect(seats.flat().sort()).toEqual(['A-1', 'A-2', 'A-3', 'A-4']);
    expect((await mine(eventId, waiters[2] as Customer)).body).toMatchObject({ position: 1, offer: null });
    const [offered] = await stack.stores.booking.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM booking.waitlist WHERE event_id = ${eventId} AND status = 'offered'`;
    expect(offered?.count).toBe(2);
    await expectInvariants(eventId);
  });

  it('general admission: released tickets are offered the same way', async () => {
    const eventId = await stack.http.event(organizer.token, { type: 'general', capacity: 3 });
    const seller = await stack.http.user('customer');
    const sold = await stack.http.post<Reservation>('/api/reservations', { eventId, quantity: 3, paymentToken: 'tok_visa' }, seller.token);
    expect(sold.body.status).toBe('confirmed');
    await stack.projectionCaughtUp();
    const waiter = await stack.http.user('customer');
    expect((await join(eventId, waiter, 2)).status).toBe(201);
    await cancel(seller, sold.body.id);
    const offer = await offerFor(eventId, waiter);
    expect(await reservation(waiter, offer.reservationId)).toMatchObject({ status: 'held', quantity: 2 });
    const seats = [...(await seatHolders(eventId)).values()];
    expect(seats.filter((seat) => seat.reservation === offer.reservationId && seat.status === 'held')).toHaveLength(2);
    expect(seats.filter((seat) => seat.status === 'available')).toHaveLength(1);
    const paid = await stack.http.post<{ status: string; tickets: unknown[] }>(`/api/reservations/${offer.reservationId}/pay`, { paymentToken: 'tok_visa' }, waiter.token);
    expect(paid.body).toMatchObject({ status: 'confirmed' });
    expect(paid.body.tickets).toHaveLength(2);
    await expectInvariants(eventId);
  });

  it('the line and an offer survive the worker: an offer that expired while no worker ran passes on when one is back', async () => {
    const { eventId, seller, first } = await soldOutRoom();
    const [offered, next] = [await stack.http.user('customer'), await stack.http.user('customer')];
    await join(eventId, offered, 2);
    await join(eventId, next, 2);
    await cancel(seller, first.id);
    const offer = await offerFor(eventId, offered);
    await worker.stop();
    // Past the offer's expiry with nothing running: the hold and the line are only in Temporal and Postgres.
    await new Promise((resolve) => setTimeout(resolve, Date.parse(offer.expiresAt) - Date.now() + 500));
    expect(await statusOf(offer.reservationId)).toBe('held');
    expect((await mine(eventId, next)).body).toMatchObject({ position: 1, offer: null });
    worker = await stack.startWorker();
    const passed = await offerFor(eventId, next, 30_000);
    expect(await statusOf(offer.reservationId)).toBe('expired');
    expect((await reservation(next, passed.reservationId)).seats).toEqual(['A-1', 'A-2']);
    await expectInvariants(eventId);
  });
});

describe('an event cancelled with a waiting list', () => {
  const refunds = async (reservationId: string) => stack.stores.payments.sql<{ amount_cents: number }[]>`SELECT amount_cents FROM payments.refunds WHERE reservation_id = ${reservationId}`;
  const charges = async (reservationId: string) => stack.stores.payments.sql<{ amount_cents: number }[]>`SELECT amount_cents FROM payments.charges WHERE reservation_id = ${reservationId}`;
  const noticesOf = async (eventId: string, customer: Customer) =>
    stack.owner.sql<{ type: string; reservation_id: string | null; message: string }[]>`
      SELECT type::text, reservation_id::text, message FROM notify.notifications WHERE event_id = ${eventId} AND user_id = ${customer.id} ORDER BY id`;

  it('closes the line at once, cancels the held offer, and tells each waiting customer once', async () => {
    const { eventId, seller, first, second } = await soldOutRoom();
    const [holder, waiting, subscribed] = [await stack.http.user('customer'), await stack.http.user('customer'), await stack.http.user('customer')];
    expect((await join(eventId, holder, 2)).status).toBe(201);
    expect((await join(eventId, waiting, 2)).status).toBe(201);
    expect((await join(eventId, subscribed, 3)).status).toBe(201);
    // Also subscribed to the event's reminders, whose workflow tells of the cancellation too: one notice all the same.
    expect((await stack.http.request('POST', `/api/events/${eventId}/subscription`, { token: subscribed.token })).status).toBeLessThan(300);
    const socket = await LiveClient.connect(stack.wsUrl, { token: waiting.token });
    sockets.push(socket);
    await cancel(seller, first.id);
    const offer = await offerFor(eventId, holder);

    expect((await stack.http.request('DELETE', `/api/events/${eventId}`, { token: organizer.token })).status).toBe(202);
    // The event starts in days and the list looks at the catalogue hourly: only the cancellation's signal closes it now.
    await expect
      .poll(async () => (await stack.stores.booking.sql<{ customer_id: string; status: string }[]>`SELECT customer_id::text, status FROM booking.waitlist WHERE event_id = ${eventId} ORDER BY place`).map((row) => `${row.customer_id}:${row.status}`), { timeout: 20_000 })
      .toEqual([`${holder.id}:offered`, `${waiting.id}:closed`, `${subscribed.id}:closed`]);
    expect(await stack.temporal.workflow.getHandle(waitlistWorkflowId(eventId)).result()).toEqual({ ended: 'cancelled' });
    expect(await stack.temporal.workflow.getHandle(eventRemindersWorkflowId(eventId)).result()).toEqual({ ended: 'cancelled' });
    await stack.temporal.workflow.getHandle(`event-${eventId}-cancellation`).result();

    // The offer ends like any hold of a cancelled event: cancelled, never charged; the sold seats are refunded.
    await expect.poll(() => statusOf(offer.reservationId), { timeout: 20_000 }).toBe('cancelled');
    await expect.poll(() => statusOf(second.id), { timeout: 20_000 }).toBe('cancelled');
    expect(await charges(offer.reservationId)).toEqual([]);
    expect(await refunds(second.id)).toEqual([{ amount_cents: 4000 }]);

    for (const customer of [waiting, subscribed]) {
      const notices = (await noticesOf(eventId, customer)).filter((notice) => notice.type === 'event_cancelled');
      expect(notices, customer.id).toHaveLength(1);
    }
    expect((await noticesOf(eventId, waiting)).map((notice) => notice.type)).toEqual(['event_cancelled']);
    expect((await noticesOf(eventId, waiting))[0]?.message).toMatch(/has been cancelled; your place on its waiting list is closed/);
    const pushed = await socket.next((message) => message.type === 'notification' && message.notification?.type === 'event_cancelled');
    expect(pushed.notification).toMatchObject({ eventId, type: 'event_cancelled' });
    // The offer's customer was not waiting any more: told of their reservation's cancellation instead.
    await expect.poll(async () => (await noticesOf(eventId, holder)).map((notice) => `${notice.type}:${notice.reservation_id}`), { timeout: 20_000 }).toEqual([`offer:${offer.reservationId}`, `reservation:${offer.reservationId}`]);

    expect((await mine(eventId, waiting)).status).toBe(404);
    const late = await join(eventId, waiting, 2);
    expect(late.status).toBe(409);
    expect(late.body.error).toBe('event_not_on_sale');
    await expectInvariants(eventId);
  });
});
