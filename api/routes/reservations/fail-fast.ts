import { and, eq, inArray, isNull, ne, or } from 'drizzle-orm';
import type { Database } from '../../../db/client.js';
import { eventAvailability, seatStates } from '../../../db/schema/readmodel.js';
import { Failure, failures } from '../../../lib/failures.js';
import { DomainError } from '../../errors.js';
import type { ReservationQueries } from './queries.js';

/**
 * A lost race for a seat should cost a read, not a workflow: seats the read model already shows
 * held or sold by another reservation are refused here, before anything starts. The workflow's
 * seat-lock stays the authority: a seat the read model still shows free is always tried, so the
 * read model's lag can only cost a refusal of a seat released a moment ago, never a double sale.
 */
export function failFast(db: Database, queries: Pick<ReservationQueries, 'byId'>) {
  /** A repeated Idempotency-Key must get its reservation's own answer, whatever the seats show now. */
  const alreadyStarted = async (reservationId: string): Promise<boolean> => (await queries.byId(reservationId)) !== undefined;

  return {
    async refuseTakenSeats(input: { eventId: string; reservationId: string; keyed: boolean; seatIds: string[] }): Promise<void> {
      const taken = await db
        .select({ seatId: seatStates.seatId })
        .from(seatStates)
        .where(and(eq(seatStates.eventId, input.eventId), inArray(seatStates.seatId, input.seatIds), ne(seatStates.status, 'available'), or(isNull(seatStates.reservationId), ne(seatStates.reservationId, input.reservationId))));
      if (taken.length === 0 || (input.keyed && (await alreadyStarted(input.reservationId)))) return;
      const seats = input.seatIds.filter((id) => taken.some((seat) => seat.seatId === id));
      throw new DomainError(Failure.SeatsUnavailable, `${failures.SeatsUnavailable.message}: ${seats.join(', ')}`, { seats });
    },

    /** General admission, and best available on reserved seating: fewer than n seats or units free. */
    async refuseSoldOut(input: { eventId: string; reservationId: string; keyed: boolean; capacity: number; quantity: number }): Promise<void> {
      const [counts] = await db.select({ held: eventAvailability.held, sold: eventAvailability.sold }).from(eventAvailability).where(eq(eventAvailability.eventId, input.eventId));
      const available = input.capacity - (counts?.held ?? 0) - (counts?.sold ?? 0);
      if (available >= input.quantity || (input.keyed && (await alreadyStarted(input.reservationId)))) return;
      throw new DomainError(Failure.SoldOut);
    },
  };
}
