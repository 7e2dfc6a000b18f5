import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notificationPage, subscription } from '../api/contract/index.js';
import { eventRemindersWorkflowId } from '../lib/notifications.js';
import { pollUntil } from '../lib/poll.js';
import { reservationNotifications, type ReservationChangeRow } from '../worker/reservation-notifications.js';
import type { RemindersEnd } from '../workflows/event-reminders.js';
import { remindersStateQuery } from '../workflows/reminder-messages.js';
import { LiveClient } from './support/live-client.js';
import { startStack, type Stack } from './support/stack.js';

/**
 * Reminders at offsets of seconds (REMINDER_OFFSETS_SECONDS=5,2) on the suite's real Temporal dev
 * server: real timers, real activities, real Postgres. Batches of 2 subscribers, so that three
 * subscribers take two batches per round.
 */
const OFFSETS = [5, 2];
let stack: Stack;
let organizer: { token: string; id: string };
const sockets: LiveClient[] = [];

beforeAll(async () => {
  stack = await startStack({ env: { REMINDER_OFFSETS_SECONDS: OFFSETS.join(','), REMINDER_BATCH_SIZE: '2', HOLD_TTL_MS: '1500' } });
  organizer = await stack.http.user('organizer');
});
afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.close().catch(() => 0)));
  await stack?.stop();
});

interface StoredNotification {
  id: string;
  user_id: string;
  type: string;
  event_id: string | null;
  reservation_id: string | null;
  message: string;
  dedupe_key: string;
  /** Text: the pools parse no timestamps. */
  created_at: string;
}

const at = (row: StoredNotification): number => Date.parse(row.created_at);

async function eventStartingIn(ms: number): Promise<{ id: string; startsAt: Date }> {
  const startsAt = new Date(Date.now() + ms);
  const created = await stack.http.post<{ id: string }>('/api/events', { name: `Reminded ${randomUUID().slice(0, 6)}`, venue: 'Hall', startsAt: startsAt.toISOString(), priceCents: 1500, seating: { type: 'reserved', rows: 2, seatsPerRow: 4 } }, organizer.token);
  expect(created.status).toBe(201);
  return { id: created.body.id, startsAt };
}

const subscribe = (eventId: string, token: string) => stack.http.request<Record<string, unknown>>('POST', `/api/events/${eventId}/subscription`, { token });
const unsubscribe = (eventId: string, token: string) => stack.http.request<Record<string, unknown>>('DELETE', `/api/events/${eventId}/subscription`, { token });

async function storedFor(eventId: string): Promise<StoredNotification[]> {
  return stack.owner.sql<StoredNotification[]>`SELECT id::text, user_id::text, type::text, event_id::text, reservation_id::text, message, dedupe_key, created_at FROM notify.notifications AS n WHERE event_id = ${eventId} ORDER BY n.id`;
}

const remindersEnd = (eventId: string): Promise<RemindersEnd> => stack.temporal.workflow.getHandle(eventRemindersWorkflowId(eventId)).result() as Promise<RemindersEnd>;

async function waitForNotifications(token: string, count: number, timeoutMs = 20_000) {
  return pollUntil(
    async () => {
      const page = await stack.http.get<{ notifications: { type: string; message: string; eventId?: string }[] }>('/api/me/notifications?limit=100', token);
      return page.body.notifications.length >= count ? page.body.notifications : undefined;
    },
    { timeoutMs, intervalMs: 200, what: `${count} notifications` },
  );
}

describe('subscriptions', () => {
  it('a customer subscribes once however often they ask, and leaves the same way', async () => {
    const customer = await stack.http.user('customer');
    const { id, startsAt } = await eventStartingIn(3_600_000);
    const first = await subscribe(id, customer.token);
    expect(first.status).toBe(201);
    expect(subscription.parse(first.body)).toEqual({ eventId: id, subscribed: true, remindersAt: OFFSETS.map((offset) => new Date(startsAt.getTime() - offset * 1000).toISOString()) });
    const again = await subscribe(id, customer.token);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await stack.owner.sql`SELECT 1 FROM notify.subscriptions WHERE event_id = ${id} AND user_id = ${customer.id}`).toHaveLength(1);
    // One reminder workflow for the event, waiting for the first offset.
    const reminders = stack.temporal.workflow.getHandle(eventRemindersWorkflowId(id));
    expect((await reminders.describe()).status.name).toBe('RUNNING');
    await expect
      .poll(() => reminders.query(remindersStateQuery), { timeout: 10_000 })
      .toEqual({ startsAt: startsAt.toISOString(), pendingOffsets: OFFSETS, nextReminderAt: new Date(startsAt.getTime() - OFFSETS[0]! * 1000).toISOString() });

    for (let i = 0; i < 2; i++) {
      const left = await unsubscribe(id, customer.token);
      expect(left.status).toBe(200);
      expect(subscription.parse(left.body)).toEqual({ eventId: id, subscribed: false, remindersAt: [] });
    }
    expect(await stack.owner.sql`SELECT 1 FROM notify.subscriptions WHERE event_id = ${id}`).toHaveLength(0);
  });

  it('refuses unknown, cancelled and started events, and non-customers, and stores nothing', async () => {
    const customer = await stack.http.user('customer');
    const expectError = (result: { status: number; body: Record<string, unknown> }, status: number, code: string) => {
      expect(result.status).toBe(status);
      expect(result.body).toMatchObject({ error: code, message: expect.any(String) });
    };
    expectError(await subscribe(randomUUID(), customer.token), 404, 'event_not_found');
    expectError(await subscribe('not-an-id', customer.token), 404, 'event_not_found');
    expectError(await unsubscribe(randomUUID(), customer.token), 404, 'event_not_found');

    const cancelled = await eventStartingIn(3_600_000);
    expect((await stack.http.request('DELETE', `/api/events/${cancelled.id}`, { token: organizer.token })).status).toBe(202);
    expectError(await subscribe(cancelled.id, customer.token), 409, 'event_not_on_sale');

    const started = await eventStartingIn(3_600_000);
    await stack.owner.sql`UPDATE catalog.events SET starts_at = now() - interval '1 minute' WHERE id = ${started.id}`;
    expectError(await subscribe(started.id, customer.token), 409, 'event_started');

    expectError(await subscribe(started.id, organizer.token), 403, 'forbidden');
    expectError(await stack.http.request('POST', `/api/events/${started.id}/subscription`), 401, 'unauthorized');
    const rows = await stack.owner.sql`SELECT 1 FROM notify.subscriptions WHERE event_id = ANY(${[cancelled.id, started.id]}::uuid[])`;
    expect(rows).toHaveLength(0);
  });
});

describe('reminders', () => {
  it('reach every subscriber at each offset before the start, once, in batches, on their sockets too', async () => {
    const customers = await Promise.all([0, 1, 2].map(() => stack.http.user('customer')));
    const { id, startsAt } = await eventStartingIn(8_000);
    for (const customer of customers) expect((await subscribe(id, customer.token)).status).toBe(201);
    const socket = await LiveClient.connect(stack.wsUrl, { token: customers[0]!.token });
    sockets.push(socket);

    expect(await remindersEnd(id)).toEqual({ ended: 'started' });
    const stored = await storedFor(id);
    expect(stored.map((row) => row.type)).toEqual(Array(6).fill('reminder'));
    for (const customer of customers) {
      const mine = stored.filter((row) => row.user_id === customer.id);
      expect(mine.map((row) => row.dedupe_key).sort()).toEqual(OFFSETS.map((offset) => `reminder:${id}:${customer.id}:${offset}:${startsAt.getTime()}`).sort());
    }
    for (const offset of OFFSETS) {
      const round = stored.filter((row) => row.dedupe_key.includes(`:${offset}:`));
      expect(round).toHaveLength(3);
      // Never early (a durable timer may fire late, never before its time).
      for (const row of round) expect(at(row)).toBeGreaterThanOrEqual(startsAt.getTime() - offset * 1000 - 50);
    }
    expect(stored.find((row) => row.dedupe_key.includes(':5:'))?.message).toMatch(/starts in 5 seconds/);

    // The page's list and the socket say the same.
    const page = notificationPage.parse((await stack.http.get('/api/me/notifications', customers[0]!.token)).body);
    expect(page.notifications.map((notification) => notification.type)).toEqual(['reminder', 'reminder']);
    expect(page.notifications[0]?.message).toMatch(/starts in 2 seconds/);
    const pushed = await socket.next((message) => message.type === 'notification' && message.notification?.message.includes('2 seconds') === true);
    expect(pushed.notification).toEqual(page.notifications[0]);
    expect(socket.messages.filter((message) => message.type === 'notification')).toHaveLength(2);
  });

  it('a round longer than one run may hold continues as new where it stopped, and still reaches everyone once', async () => {
    const { id, startsAt } = await eventStartingIn(7_000);
    const first = await stack.http.user('customer');
    await subscribe(id, first.token);
    // 45 more subscribers: 23 batches of 2 a round, over the 20 a run makes before continuing as new.
    await stack.owner.sql`INSERT INTO notify.subscriptions (event_id, user_id) SELECT ${id}, gen_random_uuid() FROM generate_series(1, 45)`;
    const handle = stack.temporal.workflow.getHandle(eventRemindersWorkflowId(id));
    const firstRun = (await handle.describe()).runId;

    expect(await remindersEnd(id)).toEqual({ ended: 'started' });
    const stored = await storedFor(id);
    expect(stored).toHaveLength(46 * OFFSETS.length);
    expect(new Set(stored.map((row) => row.dedupe_key)).size).toBe(stored.length);
    for (const offset of OFFSETS) expect(new Set(stored.filter((row) => row.dedupe_key.endsWith(`:${offset}:${startsAt.getTime()}`)).map((row) => row.user_id)).size).toBe(46);
    const firstHistory = await stack.temporal.workflow.getHandle(eventRemindersWorkflowId(id), firstRun).fetchHistory();
    expect(firstHistory.events?.at(-1)?.eventType).toBe(temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
    expect((await handle.describe()).runId).not.toBe(firstRun);
  });

  it('moving the event tells subscribers and re-plans: no reminder for the old time, new ones for the new', async () => {
    const customer = await stack.http.user('customer');
    const { id, startsAt } = await eventStartingIn(7_000);
    await subscribe(id, customer.token);
    const movedTo = new Date(startsAt.getTime() + 6_000);
    const moved = await stack.http.request('PATCH', `/api/events/${id}`, { token: organizer.token, body: { startsAt: movedTo.toISOString() } });
    expect(moved.status).toBe(200);

    const [changed] = await waitForNotifications(customer.token, 1, 10_000);
    expect(changed).toMatchObject({ type: 'event_changed', eventId: id });
    expect(changed?.message).toContain(movedTo.toISOString().slice(11, 19));
    expect(await remindersEnd(id)).toEqual({ ended: 'started' });

    const stored = await storedFor(id);
    expect(stored.map((row) => row.type)).toEqual(['event_changed', 'reminder', 'reminder']);
    // Every reminder is for the new start time, none at the old reminder times.
    for (const row of stored.slice(1)) expect(row.dedupe_key).toMatch(new RegExp(`:${movedTo.getTime()}$`));
    for (const offset of OFFSETS) {
      const reminder = stored.find((row) => row.dedupe_key === `reminder:${id}:${customer.id}:${offset}:${movedTo.getTime()}`);
      expect(reminder && at(reminder)).toBeGreaterThanOrEqual(movedTo.getTime() - offset * 1000 - 50);
    }
    expect(stored.some((row) => row.dedupe_key.endsWith(`:${startsAt.getTime()}`))).toBe(false);
  });

  it('cancelling the event tells subscribers and ends the reminders before any is sent', async () => {
    const customers = await Promise.all([0, 1, 2].map(() => stack.http.user('customer')));
    const { id } = await eventStartingIn(20_000);
    for (const customer of customers) await subscribe(id, customer.token);
    expect((await stack.http.request('DELETE', `/api/events/${id}`, { token: organizer.token })).status).toBe(202);

    expect(await remindersEnd(id)).toEqual({ ended: 'cancelled' });
    const stored = await storedFor(id);
    expect(stored.map((row) => row.type)).toEqual(['event_cancelled', 'event_cancelled', 'event_cancelled']);
    expect(new Set(stored.map((row) => row.user_id))).toEqual(new Set(customers.map((customer) => customer.id)));
    expect(stored[0]?.message).toMatch(/has been cancelled/);
  });

  it('a customer who unsubscribes gets no more reminders; the others still do', async () => {
    const [leaver, stayer] = await Promise.all([stack.http.user('customer'), stack.http.user('customer')]);
    const { id } = await eventStartingIn(7_000);
    await subscribe(id, leaver!.token);
    await subscribe(id, stayer!.token);
    expect((await unsubscribe(id, leaver!.token)).status).toBe(200);

    expect(await remindersEnd(id)).toEqual({ ended: 'started' });
    const stored = await storedFor(id);
    expect(stored.filter((row) => row.user_id === leaver!.id)).toEqual([]);
    expect(stored.filter((row) => row.user_id === stayer!.id).map((row) => row.type)).toEqual(['reminder', 'reminder']);
  });
});

describe('notifications', () => {
  it('are listed newest first in pages that neither overlap nor skip, each user only their own', async () => {
    const [reader, other] = await Promise.all([stack.http.user('customer'), stack.http.user('customer')]);
    await stack.owner.sql`
      INSERT INTO notify.notifications (user_id, type, message, dedupe_key)
      SELECT ${reader!.id}, 'reminder', 'note ' || n, 'paging-test:' || ${reader!.id} || ':' || n FROM generate_series(1, 25) AS n`;
    await stack.owner.sql`INSERT INTO notify.notifications (user_id, type, message, dedupe_key) VALUES (${other!.id}, 'reminder', 'not yours', ${`paging-test:${other!.id}`})`;

    const messages: string[] = [];
    let before: string | null = null;
    const sizes: number[] = [];
    do {
      const query: string = before ? `?limit=10&before=${before}` : '?limit=10';
      const answer = await stack.http.get(`/api/me/notifications${query}`, reader!.token);
      expect(answer.status).toBe(200);
      const page = notificationPage.parse(answer.body);
      sizes.push(page.notifications.length);
      messages.push(...page.notifications.map((notification) => notification.message));
      before = page.nextBefore;
    } while (before);
    expect(sizes).toEqual([10, 10, 5]);
    expect(messages).toEqual(Array.from({ length: 25 }, (_, i) => `note ${25 - i}`));

    for (const bad of ['?limit=0', '?limit=101', '?limit=x', '?before=abc', '?before=-1', '?before=0']) {
      const answer = await stack.http.get(`/api/me/notifications${bad}`, reader!.token);
      expect(answer.status, bad).toBe(400);
      expect(answer.body).toMatchObject({ error: 'validation_failed' });
    }
    expect((await stack.http.get('/api/me/notifications')).status).toBe(401);
  });

  it('tell the customer of every reservation change once: confirmed, then cancelled; failed; expired', async () => {
    const customer = await stack.http.user('customer');
    const rival = await stack.http.user('customer');
    // Two hours ahead: the cancellation cut-off (CANCELLATION_CUTOFF_MS, 1 h) must not refuse the cancel.
    const { id: eventId } = await eventStartingIn(2 * 3_600_000);
    const socket = await LiveClient.connect(stack.wsUrl, { token: customer.token });
    const rivalSocket = await LiveClient.connect(stack.wsUrl, { token: rival.token });
    sockets.push(socket, rivalSocket);

    const booked = await stack.http.post<{ id: string; status: string }>('/api/reservations', { eventId, seats: ['A-1'], paymentToken: 'tok_visa' }, customer.token);
    expect(booked.body.status).toBe('confirmed');
    expect((await stack.http.post(`/api/reservations/${booked.body.id}/cancel`, {}, customer.token)).status).toBe(200);
    const declined = await stack.http.post<{ details: { reservation: { id: string } } }>('/api/reservations', { eventId, seats: ['A-2'], paymentToken: 'tok_declined' }, customer.token);
    expect(declined.status).toBe(402);
    const held = await stack.http.post<{ id: string; status: string }>('/api/reservations', { eventId, seats: ['A-3'] }, customer.token);
    expect(held.body.status).toBe('held');

    const expected = [
      { reservationId: booked.body.id, status: 'confirmed' },
      { reservationId: booked.body.id, status: 'cancelled' },
      { reservationId: declined.body.details.reservation.id, status: 'failed' },
      { reservationId: held.body.id, status: 'expired' },
    ];
    const stored = await pollUntil(
      async () => {
        const rows = await stack.owner.sql<StoredNotification[]>`SELECT id::text, user_id::text, type::text, reservation_id::text, dedupe_key, message, created_at FROM notify.notifications AS n WHERE user_id = ${customer.id} ORDER BY n.id`;
        return rows.length >= expected.length ? rows : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'four reservation notifications' },
    );
    await stack.projectionCaughtUp();
    await delay(300);
    const all = await stack.owner.sql<StoredNotification[]>`SELECT id::text, user_id::text, type::text, reservation_id::text, dedupe_key, message, created_at FROM notify.notifications AS n WHERE user_id = ${customer.id} ORDER BY n.id`;
    expect(all).toHaveLength(stored.length);
    expect(all.map((row) => row.type)).toEqual(Array(4).fill('reservation'));
    expect(all.map((row) => row.dedupe_key).sort()).toEqual(expected.map((change) => `reservation:${change.reservationId}:${change.status}`).sort());
    expect(all.find((row) => row.dedupe_key.endsWith(':failed'))?.message).toMatch(/payment was declined/);
    expect(all.find((row) => row.dedupe_key.endsWith(':expired'))?.message).toMatch(/expired/);

    // Pushed to the customer's socket, each once, and to nobody else's.
    await pollUntil(async () => (socket.messages.filter((message) => message.type === 'notification').length >= 4 ? true : undefined), { timeoutMs: 5_000, intervalMs: 50, what: 'four pushes' });
    const pushed = socket.messages.filter((message) => message.type === 'notification').map((message) => message.notification);
    expect(pushed.map((notification) => `${notification?.reservationId}:${notification?.type}`).sort()).toEqual(expected.map((change) => `${change.reservationId}:reservation`).sort());
    expect(rivalSocket.messages.filter((message) => message.type === 'notification')).toEqual([]);

    // The projection applying the same outbox rows again (a retried batch, a second projector)
    // writes nothing new.
    const outbox = await stack.stores.booking.sql<ReservationChangeRow[]>`SELECT event_id::text, kind, payload FROM booking.outbox WHERE kind = 'reservation' AND event_id = ${eventId} ORDER BY id`;
    expect(outbox.length).toBeGreaterThanOrEqual(4);
    const written = await stack.owner.sql.begin((tx) => reservationNotifications(tx, outbox));
    expect(written).toBe(0);
    expect(await stack.owner.sql`SELECT 1 FROM notify.notifications WHERE user_id = ${customer.id}`).toHaveLength(4);
  });
});
