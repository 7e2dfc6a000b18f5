import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPage } from '../scripts/build-web.js';
import { startStack, type Stack } from './support/stack.js';

/** Debian's chromium, headless as root: without the background-networking flags it keeps dialling hosts this machine cannot reach. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DEMO_CUSTOMER = { email: 'customer@boxoffice.test', password: 'customer-password' };

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  // Installs Debian's chromium when it is missing; throws (failing the file loudly) when it cannot.
  execFileSync(process.execPath, ['scripts/ensure-chromium.mjs'], { stdio: 'inherit' });
  // `npm test` does not build: bundle web/src here, so the page under test is never missing or stale.
  await buildPage();
  // Reminders 3 s before an event starts, so the notification test sees one arrive.
  stack = await startStack({ env: { REMINDER_OFFSETS_SECONDS: '3' } });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 30_000 });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Every Content-Security-Policy violation any page reported: the policy must not break the page. */
const cspViolations: string[] = [];

async function openSeatPicker(viewport: { width: number; height: number }, eventName: string): Promise<Page> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => console.error(`Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI}`));
  });
  const response = await page.goto(stack.baseUrl + '/');
  const headers = response?.headers() ?? {};
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['content-security-policy']).toContain("script-src 'self'");
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('no-referrer');
  await page.getByRole('button', { name: new RegExp(eventName) }).click();
  await expect.poll(() => page.locator('#live').getAttribute('data-state')).toBe('live');
  // Set once: if the page reloaded, this would be gone.
  await page.evaluate(() => Object.assign(window, { loadedOnce: true }));
  return page;
}

const seatStatus = (page: Page, seat: string) => page.locator(`[data-seat="${seat}"]`).getAttribute('data-status');

describe('seat picker in a real browser', () => {
  it('two pages on one event: a booking turns seats sold on the other page live; a declined card shows why and frees the seat', async () => {
    const organizer = await stack.http.user('organizer');
    const eventName = `Browser matinee ${randomUUID().slice(0, 8)}`;
    const created = await stack.http.post<{ id: string }>(
      '/api/events',
      { name: eventName, venue: 'Studio stage', startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), priceCents: 2500, seating: { type: 'reserved', rows: 5, seatsPerRow: 8 } },
      organizer.token,
    );
    expect(created.status).toBe(201);
    // The demo account the page's "use demo customer" button logs in as (the test database has no seed).
    const demo = await stack.http.post('/api/auth/register', { ...DEMO_CUSTOMER, name: 'Cleo Customer', role: 'customer' });
    expect([201, 409]).toContain(demo.status);
    const buyer = await stack.http.user('customer');

    const buyerPage = await openSeatPicker({ width: 1100, height: 900 }, eventName);
    const phonePage = await openSeatPicker({ width: 390, height: 844 }, eventName);

    // The buyer logs in with the form, picks two seats and pays.
    await buyerPage.locator('#email').fill(buyer.email);
    await buyerPage.locator('#password').fill('correct horse battery');
    await buyerPage.getByRole('button', { name: 'Log in', exact: true }).click();
    await expect.poll(() => buyerPage.locator('#who').textContent()).toContain('Signed in');
    await buyerPage.getByRole('button', { name: 'Row B seat 2, available' }).click();
    await buyerPage.getByRole('button', { name: 'Row B seat 3, available' }).click();
    expect(await buyerPage.locator('#selection').textContent()).toContain('2 seats: B-2, B-3');
    await buyerPage.locator('#card').selectOption('tok_visa');
    await buyerPage.getByRole('button', { name: 'Book' }).click();
    const confirmation = buyerPage.locator('.result.ok');
    await confirmation.waitFor({ timeout: 30_000 });
    expect(await confirmation.locator('li code').count()).toBe(2);
    expect(await confirmation.getByRole('link').getAttribute('href')).toMatch(/\/namespaces\/default\/workflows\/reservation-[0-9a-f-]+$/);
    expect(await buyerPage.locator('[data-seat="B-2"]').getAttribute('data-mine')).toBe('true');

    // The other page sees them sold, without a reload.
    await expect.poll(() => seatStatus(phonePage, 'B-2'), { timeout: 10_000 }).toBe('sold');
    await expect.poll(() => seatStatus(phonePage, 'B-3'), { timeout: 10_000 }).toBe('sold');
    expect(await phonePage.evaluate(() => 'loadedOnce' in window)).toBe(true);

    // The second visitor uses the demo account and a card that is declined.
    await phonePage.getByRole('button', { name: 'Use demo customer' }).click();
    await expect.poll(() => phonePage.locator('#who').textContent()).toContain('Cleo');
    await phonePage.getByRole('button', { name: 'Row C seat 4, available' }).click();
    await phonePage.locator('#card').selectOption('tok_declined');
    await phonePage.getByRole('button', { name: 'Book' }).click();
    const refusal = phonePage.locator('.result.failed');
    await refusal.waitFor({ timeout: 30_000 });
    expect(await refusal.textContent()).toContain('declined');
    expect(await refusal.textContent()).toContain('payment_declined');
    await expect.poll(() => seatStatus(phonePage, 'C-4'), { timeout: 10_000 }).toBe('available');
    await expect.poll(() => seatStatus(buyerPage, 'C-4'), { timeout: 10_000 }).toBe('available');
    expect(await seatStatus(buyerPage, 'B-2')).toBe('sold');

    await buyerPage.screenshot({ path: '/tmp/boxoffice-seat-picker-desktop.png', fullPage: true });
    await phonePage.screenshot({ path: '/tmp/boxoffice-seat-picker-phone.png', fullPage: true });
    // The seat feed, the API calls, the stylesheet and the meter all worked under the policy.
    expect(cspViolations).toEqual([]);
  }, 90_000);

  it('the notification list: its count and messages after log in, a subscription from the event page, a reminder pushed live', async () => {
    const organizer = await stack.http.user('organizer');
    const customer = await stack.http.user('customer');
    const eventName = `Browser reminders ${randomUUID().slice(0, 8)}`;
    const startsAt = new Date(Date.now() + 15_000);
    const created = await stack.http.post<{ id: string }>('/api/events', { name: eventName, venue: 'Small hall', startsAt: startsAt.toISOString(), priceCents: 1000, seating: { type: 'reserved', rows: 2, seatsPerRow: 4 } }, organizer.token);
    expect(created.status).toBe(201);
    // A booking made elsewhere (another device, the API): its confirmation is waiting in the list.
    const booked = await stack.http.post<{ status: string }>('/api/reservations', { eventId: created.body.id, seats: ['A-1'], paymentToken: 'tok_visa' }, customer.token);
    expect(booked.body.status).toBe('confirmed');
    await expect.poll(async () => (await stack.http.get<{ notifications: unknown[] }>('/api/me/notifications', customer.token)).body.notifications.length, { timeout: 10_000 }).toBe(1);

    const page = await (await browser.newContext({ viewport: { width: 1100, height: 900 } })).newPage();
    await page.goto(stack.baseUrl + '/');
    expect(await page.locator('#notifications-toggle').isHidden()).toBe(true);
    await page.getByRole('button', { name: new RegExp(eventName) }).click();
    await page.locator('#email').fill(customer.email);
    await page.locator('#password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await expect.poll(() => page.locator('#notification-count').textContent()).toBe('1');
    await page.locator('#notifications-toggle').click();
    expect(await page.locator('#notification-list li').allTextContents()).toEqual([expect.stringContaining(`Your reservation for “${eventName}” is confirmed`)]);

    await page.getByRole('button', { name: 'Remind me' }).click();
    await expect.poll(() => page.locator('#subscribe').textContent()).toBe('Reminders on — stop');
    expect(await stack.owner.sql`SELECT 1 FROM notify.subscriptions WHERE event_id = ${created.body.id} AND user_id = ${customer.id}`).toHaveLength(1);

    // The reminder comes over the WebSocket, newest first, without a reload.
    await expect.poll(() => page.locator('#notification-count').textContent(), { timeout: 25_000 }).toBe('2');
    const items = await page.locator('#notification-list li').allTextContents();
    expect(items[0]).toContain(`“${eventName}” starts in 3 seconds`);
    expect(items[1]).toContain('is confirmed');
    expect(await page.locator('#notification-list li').first().getAttribute('data-type')).toBe('reminder');
    await page.screenshot({ path: '/tmp/boxoffice-notifications.png', fullPage: true });
  }, 90_000);
  it('best available: a quantity, the suggested seats shown held on the map, then booked; a second suggestion released', async () => {
    const organizer = await stack.http.user('organizer');
    const eventName = `Browser best available ${randomUUID().slice(0, 8)}`;
    const created = await stack.http.post<{ id: string }>(
      '/api/events',
      { name: eventName, venue: 'Studio stage', startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), priceCents: 1500, seating: { type: 'reserved', rows: 4, seatsPerRow: 6 } },
      organizer.token,
    );
    expect(created.status).toBe(201);
    const buyer = await stack.http.user('customer');
    const page = await openSeatPicker({ width: 1100, height: 900 }, eventName);
    expect(await page.locator('#ba-find').isDisabled()).toBe(true);
    await page.locator('#email').fill(buyer.email);
    await page.locator('#password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await expect.poll(() => page.locator('#who').textContent()).toContain('Signed in');

    // Two seats: the house suggests the centre of the front row, held for this buyer.
    await page.locator('#ba-quantity').fill('2');
    await page.getByRole('button', { name: 'Find the best seats' }).click();
    const offer = page.locator('#ba-offer');
    await offer.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.locator('#ba-offer-text').textContent()).toContain('A-3, A-4');
    for (const seat of ['A-3', 'A-4']) {
      expect(await page.locator(`[data-seat="${seat}"]`).getAttribute('data-offered')).toBe('true');
      await expect.poll(() => seatStatus(page, seat), { timeout: 10_000 }).toBe('held');
    }
    expect(await page.getByRole('button', { name: 'Row A seat 3, suggested for you (held)' }).count()).toBe(1);

    await page.locator('#card').selectOption('tok_visa');
    await page.getByRole('button', { name: 'Book these seats' }).click();
    const confirmation = page.locator('.result.ok');
    await confirmation.waitFor({ timeout: 30_000 });
    expect(await confirmation.locator('li code').count()).toBe(2);
    expect(await offer.isHidden()).toBe(true);
    await expect.poll(() => seatStatus(page, 'A-3'), { timeout: 10_000 }).toBe('sold');
    expect(await page.locator('[data-seat="A-4"]').getAttribute('data-mine')).toBe('true');
    const [booked] = await stack.stores.booking.sql<{ status: string; seat_ids: string[] }[]>`
      SELECT status::text, seat_ids FROM booking.reservations WHERE event_id = ${created.body.id} AND customer_id = ${buyer.id}`;
    expect(booked).toEqual({ status: 'confirmed', seat_ids: ['A-3', 'A-4'] });

    // Three more: row A has two free on each side now, so row B's centre; released, they are free again.
    await page.locator('#ba-quantity').fill('3');
    await page.getByRole('button', { name: 'Find the best seats' }).click();
    await offer.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.locator('#ba-offer-text').textContent()).toContain('B-2, B-3, B-4');
    await page.getByRole('button', { name: 'Release them' }).click();
    await offer.waitFor({ state: 'hidden', timeout: 30_000 });
    for (const seat of ['B-2', 'B-3', 'B-4']) await expect.poll(() => seatStatus(page, seat), { timeout: 10_000 }).toBe('available');
    expect(await page.locator('[data-seat="B-3"]').getAttribute('data-offered')).toBe('false');
    await page.screenshot({ path: '/tmp/boxoffice-seat-picker-best-available.png', fullPage: true });
  }, 90_000);

  it('waiting list: a buyer joins from a sold-out event, sees their place, then the offer pushed live, and pays it', async () => {
    const organizer = await stack.http.user('organizer');
    const eventName = `Browser waiting list ${randomUUID().slice(0, 8)}`;
    const created = await stack.http.post<{ id: string }>(
      '/api/events',
      { name: eventName, venue: 'Studio stage', startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), priceCents: 1500, seating: { type: 'reserved', rows: 1, seatsPerRow: 2 } },
      organizer.token,
    );
    expect(created.status).toBe(201);
    const seller = await stack.http.user('customer');
    const sold = await stack.http.post<{ id: string; status: string }>('/api/reservations', { eventId: created.body.id, seats: ['A-1', 'A-2'], paymentToken: 'tok_visa' }, seller.token);
    expect(sold.body.status).toBe('confirmed');
    await stack.projectionCaughtUp();
    const buyer = await stack.http.user('customer');
    const first = await stack.http.user('customer');

    const page = await openSeatPicker({ width: 1100, height: 900 }, eventName);
    // Nobody logged in: no waiting list to join.
    expect(await page.locator('#waitlist').isHidden()).toBe(true);
    await page.locator('#email').fill(buyer.email);
    await page.locator('#password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await expect.poll(() => page.locator('#who').textContent()).toContain('Signed in');
    await page.locator('#waitlist').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.locator('#wl-status').textContent()).toContain('Sold out');

    // Someone joined before: the buyer is second in line.
    expect((await stack.http.post(`/api/events/${created.body.id}/waitlist`, { quantity: 2 }, first.token)).status).toBe(201);
    await page.locator('#wl-quantity').fill('2');
    await page.getByRole('button', { name: 'Join the waiting list' }).click();
    await expect.poll(() => page.locator('#wl-status').textContent()).toBe('You are number 2 in line for 2 seats.');
    // The first leaves: after a reload of the page's view, the buyer is first.
    expect((await stack.http.request('DELETE', `/api/events/${created.body.id}/waitlist`, { token: first.token })).status).toBe(200);
    await page.getByRole('button', { name: 'Leave the waiting list' }).waitFor();

    // The seller cancels: the seats are held for the buyer, and the page shows the offer without a reload.
    expect((await stack.http.post(`/api/reservations/${sold.body.id}/cancel`, {}, seller.token)).status).toBe(200);
    const offer = page.locator('#wl-offer');
    await offer.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.locator('#wl-offer-text').textContent()).toContain('Seats came free: 2 held for you until');
    expect(await page.locator('#wl-join-form').isHidden()).toBe(true);
    await expect.poll(() => seatStatus(page, 'A-1'), { timeout: 10_000 }).toBe('held');
    await expect.poll(() => page.locator('#notification-count').textContent()).not.toBe('0');

    await page.locator('#card').selectOption('tok_visa');
    await page.getByRole('button', { name: 'Pay and keep them' }).click();
    const confirmation = page.locator('.result.ok');
    await confirmation.waitFor({ timeout: 30_000 });
    expect(await confirmation.locator('li code').count()).toBe(2);
    await expect.poll(() => seatStatus(page, 'A-2'), { timeout: 10_000 }).toBe('sold');
    await expect.poll(() => page.locator('#waitlist').isHidden()).toBe(false);
    expect(await offer.isHidden()).toBe(true);
    expect(await page.evaluate(() => 'loadedOnce' in window)).toBe(true);
    await page.screenshot({ path: '/tmp/boxoffice-seat-picker-waitlist.png', fullPage: true });
    expect(cspViolations).toEqual([]);
  }, 90_000);
});
