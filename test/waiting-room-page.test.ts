import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueuePlace } from '../api/contract/index.js';
import { pollUntil } from '../lib/poll.js';
import { buildPage } from '../scripts/build-web.js';
import { startStack, type Stack } from './support/stack.js';

/**
 * The seat picker's waiting room (issue 14) in Chromium against the real stack: a buyer who opens a
 * queued event sees the queue (position, estimated wait, progress), then the seat map with the
 * admission's countdown, and books with the admission; another is told the room sold out while
 * waiting. The buyers on the page join after the opening, so their place (behind everyone who
 * joined before it) is known in advance.
 */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PASSWORD = 'correct horse battery';

let stack: Stack;
let browser: Browser;
let organizer: { token: string };

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/ensure-chromium.mjs'], { stdio: 'inherit' });
  await buildPage();
  stack = await startStack({ env: { QUEUE_TICK_MS: '250', QUEUE_JOIN_LEAD_SECONDS: '3600', QUEUE_ADMISSION_WINDOW_SECONDS: '180' } });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 30_000 });
  organizer = await stack.http.user('organizer');
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function queuedEvent(name: string, seating: { rows: number; seatsPerRow: number }, opensInMs: number, admitPerMinute: number): Promise<string> {
  const created = await stack.http.post<{ id: string }>(
    '/api/events',
    {
      name,
      venue: 'Arena',
      startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
      priceCents: 3000,
      seating: { type: 'reserved', ...seating },
      queue: { opensAt: new Date(Date.now() + opensInMs).toISOString(), admitPerMinute },
    },
    organizer.token,
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id;
}

const join = (eventId: string, token: string) => stack.http.request<QueuePlace>('POST', `/api/events/${eventId}/queue`, { token });
const queueState = async (eventId: string) => (await stack.owner.sql<{ state: string }[]>`SELECT state::text FROM waitroom.queues WHERE event_id = ${eventId}`)[0]?.state;
const waitUntilOpen = (eventId: string) => pollUntil(async () => ((await queueState(eventId)) === 'open' ? true : undefined), { timeoutMs: 20_000, intervalMs: 100, what: 'the queue to open' });

/** A page on the event, logged in with the form as `email`. */
async function buyerPage(eventName: string, email: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1000, height: 900 } })).newPage();
  await page.goto(stack.baseUrl + '/');
  await page.getByRole('button', { name: new RegExp(eventName) }).click();
  await page.locator('#queue').waitFor({ state: 'visible' });
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect.poll(() => page.locator('#who').textContent()).toContain('Signed in');
  return page;
}

describe('the waiting room in a real browser', () => {
  it('a queued event shows the queue with position, estimated wait and progress, then the seat map with the countdown; the booking goes through with the admission', async () => {
    const eventName = `Queued concert ${randomUUID().slice(0, 8)}`;
    // One admission every 3 s; three buyers joined before the opening, so the page's buyer is fourth.
    const eventId = await queuedEvent(eventName, { rows: 4, seatsPerRow: 6 }, 3000, 20);
    const ahead = await Promise.all([1, 2, 3].map(() => stack.http.user('customer')));
    for (const customer of ahead) expect((await join(eventId, customer.token)).status).toBe(201);
    const buyer = await stack.http.user('customer');

    const page = await buyerPage(eventName, buyer.email);
    // Not joined yet: the queue is explained, the seat map and the Book button are not there.
    expect(await page.locator('#queue-headline').textContent()).toBe('This on-sale has a waiting room');
    expect(await page.locator('#reserved').isHidden()).toBe(true);
    expect(await page.locator('#book').isHidden()).toBe(true);
    await waitUntilOpen(eventId);
    await page.getByRole('button', { name: 'Join the queue' }).click();

    // In line: place 4, so position 4 at most; an estimate; a progress bar that moves as the line does.
    await expect.poll(() => page.locator('#queue').getAttribute('data-status')).toBe('waiting');
    const position = Number(await page.locator('#queue-position').textContent());
    expect(position).toBeGreaterThanOrEqual(1);
    expect(position).toBeLessThanOrEqual(4);
    expect(await page.locator('#queue-wait').textContent()).toMatch(/about|under/);
    expect(await page.locator('#queue-progress').isVisible()).toBe(true);
    expect(await page.locator('#queue-detail').textContent()).toMatch(/ahead of you|You are next/);
    await page.screenshot({ path: '/tmp/boxoffice-waiting-room-queue.png', fullPage: true });
    // The position falls with the broadcasts, no reload, no polling.
    await expect.poll(async () => Number(await page.locator('#queue-position').textContent()), { timeout: 15_000 }).toBeLessThan(position === 1 ? 2 : position);

    // Admitted: the seat map and a countdown of the admission window.
    // Its turn comes 12 s after the opening (three ahead, one every 3 s); slack for a loaded machine.
    await page.locator('#admission').waitFor({ state: 'visible', timeout: 40_000 });
    expect(await page.locator('#admission-countdown').textContent()).toMatch(/^[23]:\d\d$/);
    expect(await page.locator('#queue').isHidden()).toBe(true);
    await expect.poll(() => page.locator('#live').getAttribute('data-state'), { timeout: 10_000 }).toBe('live');
    expect(await page.locator('#reserved').isVisible()).toBe(true);
    await page.screenshot({ path: '/tmp/boxoffice-waiting-room-admitted.png', fullPage: true });

    // Best available with the admission: held, then paid.
    await page.locator('#ba-quantity').fill('2');
    await page.getByRole('button', { name: 'Find the best seats' }).click();
    await page.locator('#ba-offer').waitFor({ state: 'visible', timeout: 30_000 });
    await page.getByRole('button', { name: 'Book these seats' }).click();
    await page.locator('.result.ok').waitFor({ timeout: 30_000 });
    const reservations = await stack.stores.booking.sql<{ status: string; quantity: number }[]>`
      SELECT status::text, quantity FROM booking.reservations WHERE event_id = ${eventId} AND customer_id = ${buyer.id}`;
    expect(reservations).toEqual([{ status: 'confirmed', quantity: 2 }]);
    const [place] = await stack.owner.sql<{ place: number; status: string }[]>`SELECT place, status::text FROM waitroom.places WHERE event_id = ${eventId} AND account_id = ${buyer.id}`;
    expect(place).toEqual({ place: 4, status: 'booked' });
    await page.screenshot({ path: '/tmp/boxoffice-waiting-room-booked.png', fullPage: true });
  }, 120_000);

  it('a buyer still waiting when the room sells out is told so at once, without a reload', async () => {
    const eventName = `Tiny room ${randomUUID().slice(0, 8)}`;
    // One admission every 5 s, a room of 2 seats, three buyers ahead of the page's: whichever of them is
    // admitted first takes both seats, long before the page's buyer's turn (20 s after the opening).
    const eventId = await queuedEvent(eventName, { rows: 1, seatsPerRow: 2 }, 2000, 12);
    const ahead = await Promise.all([1, 2, 3].map(() => stack.http.user('customer')));
    for (const customer of ahead) expect((await join(eventId, customer.token)).status).toBe(201);
    const second = await stack.http.user('customer');
    const page = await buyerPage(eventName, second.email);
    await waitUntilOpen(eventId);
    await page.getByRole('button', { name: 'Join the queue' }).click();
    await expect.poll(() => page.locator('#queue').getAttribute('data-status')).toBe('waiting');
    expect(Number(await page.locator('#queue-position').textContent())).toBeGreaterThanOrEqual(3);

    const [first, admitted] = await pollUntil(
      async () => {
        for (const customer of ahead) {
          const answer = await stack.http.get<QueuePlace>(`/api/events/${eventId}/queue/me`, customer.token);
          if (answer.body.status === 'admitted') return [customer, answer.body] as const;
        }
        return undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100, what: 'the first buyer to be admitted' },
    );
    const booked = await stack.http.request<{ status: string }>('POST', '/api/reservations', {
      token: first.token,
      body: { eventId, quantity: 2, bestAvailable: true, paymentToken: 'tok_visa' },
      headers: { 'Admission-Token': admitted.admissionToken ?? '' },
    });
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);

    await expect.poll(() => page.locator('#queue').getAttribute('data-status'), { timeout: 15_000 }).toBe('sold_out');
    expect(await page.locator('#queue-headline').textContent()).toBe('Sold out');
    expect(await page.locator('#queue-detail').textContent()).toContain('sold while you waited');
    expect(await page.locator('#reserved').isHidden()).toBe(true);
    expect(await page.locator('#book').isHidden()).toBe(true);
    await page.screenshot({ path: '/tmp/boxoffice-waiting-room-sold-out.png', fullPage: true });
  }, 90_000);
});
