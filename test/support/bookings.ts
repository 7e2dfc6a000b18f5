import type postgres from 'postgres';
import type { HttpClient } from './http.js';
import type { SeatStatus } from './live-client.js';
import { pollUntil } from '../../lib/poll.js';

export interface BurstEvents {
  reserved: { id: string; rows: number; seatsPerRow: number }[];
  general: { id: string; capacity: number }[];
}

export interface BurstOutcome {
  /** HTTP status → how many requests got it. */
  statuses: Record<number, number>;
}

const pick = <T>(items: readonly T[]): T => {
  const item = items[Math.floor(Math.random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
};

/**
 * A request a customer might send: 1-3 adjacent seats (or tickets); pay, decline or only hold.
 * Holds are many because they are cheap (one activity): the Temporal dev server sets the pace.
 */
function randomRequest(events: BurstEvents): Record<string, unknown> {
  const roll = Math.random();
  const payment = roll < 0.45 ? { paymentToken: 'tok_visa' } : roll < 0.9 ? {} : { paymentToken: 'tok_declined' };
  const count = 1 + Math.floor(Math.random() * 3);
  const reservedShare = events.reserved.length / (events.reserved.length + events.general.length);
  if (events.general.length === 0 || Math.random() < reservedShare) {
    const event = pick(events.reserved);
    const row = String.fromCharCode(65 + Math.floor(Math.random() * event.rows));
    const first = 1 + Math.floor(Math.random() * (event.seatsPerRow - count + 1));
    return { eventId: event.id, seats: Array.from({ length: count }, (_, i) => `${row}-${first + i}`), ...payment };
  }
  return { eventId: pick(events.general).id, quantity: count, ...payment };
}

/**
 * `count` reservation requests at once from random customers through the HTTP API; seat conflicts,
 * declines and holds included. Returns when every saga that was started has left `pending`.
 */
export async function bookingBurst(http: HttpClient, events: BurstEvents, customers: readonly { token: string }[], count: number): Promise<BurstOutcome> {
  const statuses: Record<number, number> = {};
  await Promise.all(
    Array.from({ length: count }, async () => {
      const customer = pick(customers);
      const result = await http.post<{ id: string; status: string }>('/api/reservations', randomRequest(events), customer.token);
      statuses[result.status] = (statuses[result.status] ?? 0) + 1;
      if (result.status !== 202) return;
      // The saga outlived the request's wait limit: follow it to its end.
      await pollUntil(
        async () => {
          const polled = await http.get<{ status: string }>(`/api/reservations/${result.body.id}`, customer.token);
          return polled.status === 200 && polled.body.status !== 'pending' ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100, what: `reservation ${result.body.id} to leave pending` },
      );
    }),
  );
  return { statuses };
}

/** The truth: every seat or unit of the event in booking.seats. */
export async function bookedSeats(sql: postgres.Sql, eventId: string): Promise<Map<string, SeatStatus>> {
  const rows = await sql<{ seat_id: string; status: SeatStatus }[]>`SELECT seat_id, status FROM booking.seats WHERE event_id = ${eventId}`;
  return new Map(rows.map((row) => [row.seat_id, row.status]));
}

export async function readModelVersion(sql: postgres.Sql, eventId: string): Promise<number> {
  const [row] = await sql<{ version: string }[]>`SELECT version::text FROM readmodel.event_availability WHERE event_id = ${eventId}`;
  return Number(row?.version ?? 0);
}

export function sortedRecord(seats: Map<string, SeatStatus>): Record<string, SeatStatus> {
  return Object.fromEntries([...seats].sort(([a], [b]) => a.localeCompare(b)));
}

export function countsOf(seats: Map<string, SeatStatus>, capacity: number) {
  let held = 0;
  let sold = 0;
  for (const status of seats.values()) {
    if (status === 'held') held++;
    else if (status === 'sold') sold++;
  }
  return { available: capacity - held - sold, held, sold };
}
