import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reservation, reservationError, type Reservation, type ReservationError } from '../api/contract/index.js';
import { countStranded, roomOf } from '../lib/best-available.js';
import { parseSeatId } from '../lib/seating.js';
import { startStack, type Stack } from './support/stack.js';

/**
 * Best available (issue 15): the seat-lock picks the seats (lib/best-available.ts), through the
 * real API, saga and booking store, alone and with 40 buyers at once.
 */
let stack: Stack;
let organizer: { token: string };
let buyer: { token: string; id: string };
const touchedEvents: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  organizer = await stack.http.user('organizer');
  buyer = await stack.http.user('customer');
});
afterEach(async () => {
  await stack.projectionCaughtUp();
  expect(await stack.invariants({ eventIds: touchedEvents, readModel: true })).toEqual([]);
});
afterAll(() => stack?.stop());

async function newEvent(seating: Parameters<Stack['http']['event']>[1] = { type: 'reserved', rows: 3, seatsPerRow: 5 }): Promise<string> {
  const id = await stack.http.event(organizer.token, seating);
  touchedEvents.push(id);
  return id;
}

const seatRows = (eventId: string, on: Stack = stack) =>
  on.stores.booking.sql<{ seat_id: string; status: string; reservation_id: string | null }[]>`
    SELECT seat_id, status::text, reservation_id FROM booking.seats WHERE event_id = ${eventId} AND status <> 'available' ORDER BY position`;
const reservationCount = async (eventId: string) => (await stack.stores.booking.sql`SELECT id FROM booking.reservations WHERE event_id = ${eventId}`).length;

/** Whether the seats are n adjacent seats of one row. */
function together(seats: string[]): boolean {
  const parsed = seats.map((id) => parseSeatId(id));
  if (parsed.some((seat) => !seat)) return false;
  const rows = new Set(parsed.map((seat) => seat?.row));
  const numbers = parsed.map((seat) => seat?.number ?? 0).sort((a, b) => a - b);
  return rows.size === 1 && numbers.every((n, i) => i === 0 || n === (numbers[i - 1] ?? 0) + 1);
}

describe('best available for one buyer', () => {
  it('holds the best seats without a payment token, names them, and they are held for that reservation', async () => {
    const eventId = await newEvent();
    const held = await stack.http.post<Reservation>('/api/reservations', { eventId, quantity: 3, bestAvailable: true }, buyer.token);
    expect(held.status).toBe(201);
    const body = reservation.strict().parse(held.body);
    expect(body).toMatchObject({ status: 'held', seats: ['A-2', 'A-3', 'A-4'], amountCents: 6000 });
    expect(await seatRows(eventId)).toEqual(['A-2', 'A-3', 'A-4'].map((seat_id) => ({ seat_id, status: 'held', reservation_id: body.id })));

    const paid = await stack.http.post<Reservation>(`/api/reservations/${body.id}/pay`, { paymentToken: 'tok_visa' }, buyer.token);
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ status: 'confirmed', seats: ['A-2', 'A-3', 'A-4'] });
    expect(paid.body.tickets.map((ticket) => ticket.seat).sort()).toEqual(['A-2', 'A-3', 'A-4']);
  });

  it('books and pays at once with a payment token; the next party goes beside, not into a gap it would strand', async () => {
    const eventId = await newEvent({ type: 'reserved', rows: 2, seatsPerRow: 5 });
    const first = await stack.http.post<Reservation>('/api/reservations', { eventId, quantity: 1, bestAvailable: true, paymentToken: 'tok_visa' }, buyer.token);
    expect(first.body).toMatchObject({ status: 'confirmed', seats: ['A-3'] });
    // Row A now has 2 free seats on each side of A-3: a pair fits either side without stranding.
    const second = await stack.http.post<Reservation>('/api/reservations', { eventId, quantity: 2, bestAvailable: true, paymentToken: 'tok_visa' }, buyer.token);
    expect(second.body).toMatchObject({ status: 'confirmed', seats: ['A-1', 'A-2'] });
    // Three do not fit in row A any more: row B's centre.
    const third = await stack.http.post<Reservation>('/api/reservations', { eventId, quantity: 3, bestAvailable: true, paymentToken: 'tok_visa' }, buyer.token);
    expect(third.body).toMatchObject({ status: 'confirmed', seats: ['B-2', 'B-3', 'B-4'] });
  });

  it('goes a row back rather than strand a seat between two sold ones', async () => {
    const eventId = await newEvent({ type: 'reserved', rows: 2, seatsPerRow: 5 });
    for (const seats of [['A-1'], ['A-5']]) expect((await stack.http.post('/api/reservations', { eventId, seats, paymentToken: 'tok_visa' }, buyer.token)).status).toBe(201);
    // A-2..A-4 are free between two sold seats: any two of them strand the third.
    const pair = await stack.http.post<Reservation>('/api/reservations', { eventId, quantity: 2, bestAvailable: true, paymentToken: 'tok_visa' }, buyer.token);
    expect(pair.body).toMatchObject({ status: 'confirmed', seats: ['B-2', 'B-3'] });
  });

  it('is refused 409 sold_out from the read model when fewer than n seats are free, and no workflow starts', async () => {
    const eventId = await newEvent({ type: 'reserved', rows: 1, seatsPerRow: 3 });
    expect((await stack.http.post('/api/reservations', { eventId, seats: ['A-1', 'A-2'], paymentToken: 'tok_visa' }, buyer.token)).status).toBe(201);
    await stack.projectionCaughtUp();
    const before = await reservationCount(eventId);
    const refused = await stack.http.post<ReservationError>('/api/reservations', { eventId, quantity: 2, bestAvailable: true, paymentToken: 'tok_visa' }, buyer.token);
    expect(refused.status).toBe(409);
    expect(reservationError.parse(refused.body).error).toBe('sold_out');
    expect(await reservationCount(eventId)).toBe(before);
  });

  it('is refused sold_out by the seat-lock when the read model lags behind a sale', async () => {
    const eventId = await newEvent({ type: 'reserved', rows: 1, seatsPerRow: 3 });
    expect((await stack.http.post('/api/reservations', { eventId, seats: ['A-1', 'A-2'], paymentToken: 'tok_visa' }, buyer.token)).status).toBe(201);
    await stack.projectionCaughtUp();
    // The read model has not heard of the sale: the API lets the request through to the authority.
    const saved = await stack.owner.sql`SELECT held, sold FROM readmodel.event_availability WHERE event_id = ${eventId}`;
    await stack.owner.sql`UPDATE readmodel.event_availability SET sold = 0 WHERE event_id = ${eventId}`;
    try {
      const refused = await stack.http.post<ReservationError>('/api/reservations', { eventId, quantity: 2, bestAvailable: true, paymentToken: 'tok_visa' }, buyer.token);
      expect(refused.status).toBe(409);
      expect(refused.body.error).toBe('sold_out');
      const [failed] = await stack.stores.booking.sql<{ status: string; failure_reason: string }[]>`
        SELECT status::text, failure_reason FROM booking.reservations WHERE event_id = ${eventId} AND status = 'failed'`;
      expect(failed).toEqual({ status: 'failed', failure_reason: 'sold_out' });
    } finally {
      await stack.owner.sql`UPDATE readmodel.event_availability SET sold = ${saved[0]?.sold ?? 0} WHERE event_id = ${eventId}`;
    }
    expect((await seatRows(eventId)).map((seat) => seat.seat_id)).toEqual(['A-1', 'A-2']);
  });
});

describe('best available refuses bad requests with 400 and changes nothing', () => {
  it.each([
    ['general admission', { type: 'general', capacity: 10 } as const, { quantity: 2, bestAvailable: true }, 'bestAvailable'],
    ['explicit seats as well', undefined, { seats: ['A-1'], bestAvailable: true }, 'bestAvailable'],
    ['no quantity', undefined, { bestAvailable: true }, ''],
    ['more than 10 seats', undefined, { quantity: 11, bestAvailable: true }, 'quantity'],
    ['a quantity on reserved seating without bestAvailable', undefined, { quantity: 2 }, 'bestAvailable'],
  ])('%s', async (_name, seating, body, mentions) => {
    const eventId = await newEvent(seating);
    const refused = await stack.http.post<ReservationError>('/api/reservations', { eventId, paymentToken: 'tok_visa', ...body }, buyer.token);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('validation_failed');
    expect(refused.body.message).toContain(mentions);
    expect(await reservationCount(eventId)).toBe(0);
  });
});

describe.each(['skip-locked', 'event-lock'] as const)('best available under concurrency, BEST_AVAILABLE_CLAIM=%s', (claim) => {
  // The other way of claiming gets an API and a worker of its own (the worker reads the setting), on
  // the same databases; the file's projection keeps the read model for both.
  let own: Stack | undefined;
  let on: Stack;
  beforeAll(async () => {
    on = claim === stack.cfg.BEST_AVAILABLE_CLAIM ? stack : (own = await startStack({ env: { BEST_AVAILABLE_CLAIM: claim }, withoutProjection: true }));
  });
  afterAll(() => own?.stop());

  it('40 buyers at once on a 12 × 10 room: no seat twice, every party together in one row, no seat stranded', async () => {
    const eventId = await on.http.event(organizer.token, { type: 'reserved', rows: 12, seatsPerRow: 10 });
    touchedEvents.push(eventId);
    const buyers = await Promise.all(Array.from({ length: 40 }, () => on.http.user('customer')));
    // Parties of 2 and 3 (100 of the 120 seats), half paying at once, half holding.
    const sizes = buyers.map((_, i) => 2 + (i % 2));
    const answers = await Promise.all(
      buyers.map((customer, i) =>
        on.http.post<Reservation>('/api/reservations', { eventId, quantity: sizes[i], bestAvailable: true, ...(i % 4 < 2 ? { paymentToken: 'tok_visa' } : {}) }, customer.token),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 201));
    answers.forEach((answer, i) => {
      expect(answer.body.status).toBe(i % 4 < 2 ? 'confirmed' : 'held');
      expect(answer.body.seats).toHaveLength(sizes[i] ?? 0);
      expect(together(answer.body.seats ?? []), `party ${i}: ${answer.body.seats?.join(', ')}`).toBe(true);
    });
    const answered = answers.flatMap((answer) => answer.body.seats ?? []);
    expect(new Set(answered).size).toBe(100);

    const rows = await seatRows(eventId, on);
    expect(rows).toHaveLength(100);
    const holder = new Map(rows.map((row) => [row.seat_id, row.reservation_id]));
    for (const answer of answers) for (const seat of answer.body.seats ?? []) expect(holder.get(seat)).toBe(answer.body.id);
    expect(countStranded(roomOf({ rows: 12, seatsPerRow: 10 }, rows.map((row) => row.seat_id)))).toBe(0);

    // The room's last 20 seats go to the next buyers; then it is sold out.
    const rest = await Promise.all(Array.from({ length: 5 }, (_, i) => on.http.post<Reservation>('/api/reservations', { eventId, quantity: 4, bestAvailable: true, paymentToken: 'tok_visa' }, buyers[i]?.token)));
    expect(rest.map((answer) => answer.status)).toEqual([201, 201, 201, 201, 201]);
    const more = await on.http.post<ReservationError>('/api/reservations', { eventId, quantity: 1, bestAvailable: true, paymentToken: 'tok_visa' }, buyer.token);
    expect(more.status).toBe(409);
    expect(more.body.error).toBe('sold_out');
    expect(await seatRows(eventId, on)).toHaveLength(120);

    // Settle the holds so the settled invariants can be checked too.
    const cancels = await Promise.all(answers.map((answer, i) => (answer.body.status === 'held' ? on.http.post(`/api/reservations/${answer.body.id}/cancel`, {}, buyers[i]?.token) : undefined)));
    expect(cancels.filter((cancel) => cancel !== undefined).map((cancel) => cancel.status)).toEqual(Array.from({ length: 20 }, () => 200));
    await stack.projectionCaughtUp();
    expect(await stack.invariants({ eventIds: [eventId], settled: true, readModel: true })).toEqual([]);
  });
});
