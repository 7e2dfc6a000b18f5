import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../lib/poll.js';
import { startStack, type Stack } from './support/stack.js';

/**
 * The terminal client in a real pseudo-terminal: tmux runs it, send-keys types, capture-pane reads
 * the screen. A tmux server of this file's own (-L), so nothing else's sessions are touched.
 */
const TSX = `${process.cwd()}/node_modules/.bin/tsx`;
const SOCKET = `boxoffice-tui-test-${process.pid}`;
const SESSION = 'client';
const PASSWORD = 'correct horse battery';
/** tsx compiles the client at start: seconds on a quiet machine, 15-20 s when seven suites share it. */
const STARTUP_MS = 60_000;
/** Each test: the start-up, then a few bookings through Temporal. */
const TEST_MS = 240_000;

let stack: Stack;

const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const screen = (): string => tmux('capture-pane', '-p', '-t', SESSION);
const press = (...keys: string[]): void => void tmux('send-keys', '-t', SESSION, ...keys);
const type = (text: string): void => void tmux('send-keys', '-t', SESSION, '-l', text);

/** Waits until the screen passes `check`; the timeout's message shows the last screen. */
async function waitForScreen(what: string, check: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
  let last = '';
  return pollUntil(
    async () => {
      last = screen();
      return check(last) ? last : undefined;
    },
    { timeoutMs, intervalMs: 150, what: () => `${what}; the screen was:\n${last}` },
  );
}

/** The letter drawn for a seat: "." free, "h" held, "X" sold, "M" yours, "+" picked (client/seat-grid.ts). */
function seatGlyph(text: string, seat: string): string | undefined {
  const [row, number] = seat.split('-');
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${row} `));
  return line?.slice(2 + (Number(number) - 1) * 3, 2 + Number(number) * 3).trim().replace(/[[\]]/g, '');
}

function startClient(args: string[]): void {
  const command = [`cd ${JSON.stringify(process.cwd())}`, `${TSX} client/main.ts --url ${stack.baseUrl} ${args.join(' ')}`, 'echo "client exited with $?"', 'sleep 120'].join('; ');
  tmux('new-session', '-d', '-s', SESSION, '-x', '130', '-y', '50', command);
}

function stopClient(): void {
  try {
    tmux('kill-server');
  } catch {
    // No server left: the session had ended.
  }
}

beforeAll(async () => {
  execFileSync('tmux', ['-V']);
  stack = await startStack();
});

afterEach(stopClient);

afterAll(async () => {
  stopClient();
  await stack?.stop();
});

describe('terminal client in a pseudo-terminal', () => {
  it('logs in, lists events, follows a booking made elsewhere, books, shows a refusal, cancels and quits', async () => {
    const organizer = await stack.http.user('organizer');
    const eventName = `TUI matinee ${randomUUID().slice(0, 8)}`;
    const created = await stack.http.post<{ id: string }>(
      '/api/events',
      { name: eventName, venue: 'Terminal hall', startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), priceCents: 2500, seating: { type: 'reserved', rows: 4, seatsPerRow: 6 } },
      organizer.token,
    );
    expect(created.status).toBe(201);
    const eventId = created.body.id;
    const buyer = await stack.http.user('customer');
    const rival = await stack.http.user('customer');

    startClient([]);
    await waitForScreen('the log-in form', (text) => text.includes('Email:'), STARTUP_MS);
    type(buyer.email);
    await waitForScreen('the email typed', (text) => text.includes(`Email:    ${buyer.email}`));
    press('Enter');
    await waitForScreen('the password field', (text) => text.includes('Password:'));
    type(PASSWORD);
    await waitForScreen('the password typed', (text) => text.includes(`Password: ${'*'.repeat(PASSWORD.length)}`));
    press('Enter');
    let text = await waitForScreen('the event list', (current) => current.includes('events on sale') && current.includes('Signed in as'));
    expect(text).toContain(buyer.email);

    // Filter down to this file's event, open it, wait for the live map.
    press('/');
    await waitForScreen('the filter prompt', (current) => current.includes('Filter: _'));
    type(eventName);
    await waitForScreen('the filter typed', (current) => current.includes(`Filter: ${eventName}_`));
    press('Enter');
    // Filtering must have ended before the next Enter: two keys read in one chunk reach ink as one input.
    text = await waitForScreen('the filtered list', (current) => current.includes(`> ${eventName}`) && current.includes('(/ to change)'));
    expect(text).toContain('24 of 24 left');
    press('Enter');
    text = await waitForScreen('the live seat map', (current) => current.includes('Live') && current.includes('Seat A-1: available'));
    expect(seatGlyph(text, 'B-2')).toBe('.');

    // Someone else books over HTTP: the map turns those seats sold without any key pressed.
    const elsewhere = await stack.http.post('/api/reservations', { eventId, seats: ['B-2', 'B-3'], paymentToken: 'tok_visa' }, rival.token);
    expect(elsewhere.status).toBe(201);
    text = await waitForScreen('B-2 and B-3 sold on the map', (current) => seatGlyph(current, 'B-2') === 'X' && seatGlyph(current, 'B-3') === 'X');
    expect(seatGlyph(text, 'B-1')).toBe('.');

    // Pick with the arrow keys and space, book with the default card (tok_visa).
    // One key at a time, each seen on the screen before the next (see the filter above).
    press('Space');
    await waitForScreen('A-1 picked', (current) => current.includes('Picked 1: A-1'));
    press('Right');
    await waitForScreen('the cursor on A-2', (current) => current.includes('Seat A-2'));
    press('Space');
    text = await waitForScreen('two seats picked', (current) => current.includes('Picked 2: A-1, A-2'));
    expect(text).toContain('Card: tok_visa');
    press('b');
    text = await waitForScreen('the confirmation with tickets', (current) => current.includes('Booked!'), 40_000);
    const [booked] = await stack.stores.booking.sql<{ id: string; status: string; seat_ids: string[]; amount_cents: number }[]>`
      SELECT id, status, seat_ids, amount_cents FROM booking.reservations WHERE event_id = ${eventId} AND customer_id = ${buyer.id}`;
    expect(booked).toMatchObject({ status: 'confirmed', seat_ids: ['A-1', 'A-2'], amount_cents: 5000 });
    expect(text).toContain(`Reservation ${booked?.id} is confirmed`);
    const tickets = await stack.stores.ticketing.sql<{ code: string; seat_id: string }[]>`
      SELECT code, seat_id FROM ticketing.tickets WHERE reservation_id = ${booked?.id ?? ''} AND status = 'valid' ORDER BY seat_id`;
    expect(tickets.map((ticket) => ticket.seat_id)).toEqual(['A-1', 'A-2']);
    for (const ticket of tickets) expect(text).toContain(`${ticket.code}  seat ${ticket.seat_id}`);
    await waitForScreen('A-1 and A-2 drawn as yours', (current) => seatGlyph(current, 'A-1') === 'M' && seatGlyph(current, 'A-2') === 'M');

    // A declined card: the answer says why, and the seat stays free.
    press('Down');
    await waitForScreen('the cursor on B-2', (current) => current.includes('Seat B-2'));
    press('Down');
    await waitForScreen('the cursor on C-2', (current) => current.includes('Seat C-2'));
    press('Space');
    await waitForScreen('C-2 picked', (current) => current.includes('Picked 1: C-2'));
    press('t');
    await waitForScreen('C-2 picked with the declined card', (current) => current.includes('Picked 1: C-2') && current.includes('Card: tok_declined'));
    press('b');
    text = await waitForScreen('the refusal', (current) => current.includes('Not booked.'), 40_000);
    expect(text).toContain('Reason: payment_declined');
    const [declined] = await stack.stores.booking.sql<{ status: string }[]>`
      SELECT status FROM booking.reservations WHERE event_id = ${eventId} AND customer_id = ${buyer.id} AND seat_ids = ARRAY['C-2']`;
    expect(declined?.status).toBe('failed');

    // Cancel the confirmed booking from the reservations screen.
    press('m');
    await waitForScreen('the reservations list', (current) => current.includes('Your reservations (2)'));
    // Two reservations: the confirmed one is the first or, one Down away, the second.
    if (!screen().includes(`> ${booked?.id.slice(0, 8)}`)) press('Down');
    await waitForScreen('the confirmed reservation chosen', (current) => current.includes(`> ${booked?.id.slice(0, 8)} confirmed`));
    press('x');
    await waitForScreen('the cancellation', (current) => current.includes(`Reservation ${booked?.id.slice(0, 8)} is cancelled; refunded €50.00.`), 40_000);
    const [cancelled] = await stack.stores.booking.sql<{ status: string; refunded_cents: number }[]>`SELECT status, refunded_cents FROM booking.reservations WHERE id = ${booked?.id ?? ''}`;
    expect(cancelled).toEqual({ status: 'cancelled', refunded_cents: 5000 });

    press('q');
    await waitForScreen('the client to exit cleanly', (current) => current.includes('client exited with 0'));
  }, TEST_MS);

  it('an empty email logs in as the demo customer', async () => {
    const demo = await stack.http.post('/api/auth/register', { email: 'customer@boxoffice.test', password: 'customer-password', name: 'Cleo Customer', role: 'customer' });
    expect([201, 409]).toContain(demo.status);
    startClient([]);
    await waitForScreen('the log-in form', (text) => text.includes('Email:'), STARTUP_MS);
    press('Enter');
    await waitForScreen('the event list as the demo customer', (text) => text.includes('events on sale') && text.includes('<customer@boxoffice.test>'));
    press('q');
    await waitForScreen('the client to exit cleanly', (text) => text.includes('client exited with 0'));
  }, TEST_MS);

  it('a wrong password is refused on screen and the form asks again', async () => {
    const user = await stack.http.user('customer');
    startClient(['--email', user.email]);
    await waitForScreen('the password field', (text) => text.includes('Password:'), STARTUP_MS);
    type('not the password');
    press('Enter');
    const text = await waitForScreen('the refusal', (current) => current.includes('Could not log in:'));
    expect(text).toContain('(invalid_credentials)');
    expect(text).toContain('Email:');
    press('Escape');
    await waitForScreen('the client to exit cleanly', (current) => current.includes('client exited with 0'));
  }, TEST_MS);

  it('without a terminal it says so and exits non-zero; a bad flag prints the usage', async () => {
    const run = promisify(execFile);
    const piped = await run(TSX, ['client/main.ts', '--url', stack.baseUrl], { encoding: 'utf8' }).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(piped?.code).toBe(2);
    expect(piped?.stderr).toContain('needs a terminal');
    const badFlag = await run(TSX, ['client/main.ts', '--colour'], { encoding: 'utf8' }).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(badFlag?.code).toBe(2);
    expect(badFlag?.stderr).toContain('Unknown option --colour');
    expect(badFlag?.stderr).toContain('Usage: npm run client');
  }, TEST_MS);
});
