import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reservation } from '../api/contract/index.js';
import { startStack, type Stack } from './support/stack.js';

/**
 * Where a reservation is read from (docs/reads.md): its booking row, written in the same transaction
 * as the seat-lock, so a GET right after the POST's answer sees it; the event's organizer and seating
 * are cached (they never change); tickets are read only where there can be some.
 */
let stack: Stack;
let statements: string[] = [];
let organizer: { token: string };
let customer: { token: string };
let eventId: string;

beforeAll(async () => {
  stack = await startStack({ onApiQuery: (statement) => statements.push(statement) });
  organizer = await stack.http.user('organizer');
  customer = await stack.http.user('customer');
  const created = await stack.http.post<{ id: string }>('/api/events', { name: 'Reads', venue: 'Hall', startsAt: new Date(Date.now() + 86_400_000).toISOString(), priceCents: 500, seating: { type: 'reserved', rows: 2, seatsPerRow: 5 } }, organizer.token);
  eventId = created.body.id;
});
afterAll(() => stack?.stop());

/** The SQL statements the API sends while `request` runs. */
async function statementsOf<T>(request: () => Promise<T>): Promise<{ result: T; sent: string[] }> {
  statements = [];
  const result = await request();
  return { result, sent: statements };
}

const fromTable = (sent: string[], table: string) => sent.filter((statement) => statement.includes(`"${table}"`));

describe('reading a reservation', () => {
  it('a GET right after the answer sees what the POST answered, without the read model', async () => {
    const booked = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['A-1'], paymentToken: 'tok_visa' }, customer.token);
    expect(booked.status).toBe(201);
    const read = await stack.http.get<Reservation>(`/api/reservations/${booked.body.id}`, customer.token);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(booked.body);
  });

  it('a confirmed reservation costs one booking and one ticketing statement once its event is known', async () => {
    const booked = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['A-2'], paymentToken: 'tok_visa' }, customer.token);
    await stack.http.get(`/api/reservations/${booked.body.id}`, customer.token);
    const { result, sent } = await statementsOf(() => stack.http.get<Reservation>(`/api/reservations/${booked.body.id}`, customer.token));
    expect(result.body.tickets).toHaveLength(1);
    expect(fromTable(sent, 'reservations')).toHaveLength(1);
    expect(fromTable(sent, 'tickets')).toHaveLength(1);
    expect(fromTable(sent, 'events')).toHaveLength(0);
    expect(sent).toHaveLength(2);
  });

  it('a hold costs one statement: it cannot have tickets', async () => {
    const held = await stack.http.post<Reservation>('/api/reservations', { eventId, seats: ['B-1'] }, customer.token);
    expect(held.body.status).toBe('held');
    const { result, sent } = await statementsOf(() => stack.http.get<Reservation>(`/api/reservations/${held.body.id}`, customer.token));
    expect(result.body).toMatchObject({ status: 'held', tickets: [] });
    expect(sent).toHaveLength(1);
  });

  it('the list needs no catalogue read once its events are known: two statements', async () => {
    const first = await statementsOf(() => stack.http.get<{ reservations: Reservation[] }>('/api/reservations', customer.token));
    expect(first.result.body.reservations.length).toBeGreaterThanOrEqual(3);
    expect(fromTable(first.sent, 'events')).toHaveLength(0);
    expect(first.sent).toHaveLength(2);
  });
});
