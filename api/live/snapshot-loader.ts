import type postgres from 'postgres';
import type { SeatStatus, Seating } from '../../lib/seating.js';
import type { EventSnapshot } from './seat-mirror.js';

/** Resolves to undefined when there is no such event. */
export type SnapshotLoader = (eventId: string) => Promise<EventSnapshot | undefined>;

/**
 * Reads seating, version and seat states in one REPEATABLE READ transaction: the projection writes
 * the seat states and bumps the version in one transaction, so this snapshot's seats are exactly
 * those of its version, and every later change carries a higher version.
 */
export function createSnapshotLoader(sql: postgres.Sql): SnapshotLoader {
  return (eventId) =>
    sql.begin('isolation level repeatable read read only', async (tx) => {
      const [event] = await tx<{ seating_type: 'reserved' | 'general'; rows: number | null; seats_per_row: number | null; capacity: number }[]>`
        SELECT seating_type, rows, seats_per_row, capacity FROM catalog.events WHERE id = ${eventId}`;
      if (!event) return undefined;
      const seating: Seating =
        event.seating_type === 'reserved' ? { type: 'reserved', rows: event.rows ?? 0, seatsPerRow: event.seats_per_row ?? 0 } : { type: 'general', capacity: event.capacity };
      const [counts] = await tx<{ version: string; held: number; sold: number }[]>`
        SELECT version::text, held, sold FROM readmodel.event_availability WHERE event_id = ${eventId}`;
      const taken =
        seating.type === 'reserved' ? await tx<{ id: string; status: SeatStatus }[]>`SELECT seat_id AS id, status FROM readmodel.seat_states WHERE event_id = ${eventId}` : [];
      return { seating, version: Number(counts?.version ?? 0), held: counts?.held ?? 0, sold: counts?.sold ?? 0, taken: taken.map((seat) => ({ id: seat.id, status: seat.status })) };
    });
}
