import { eq } from 'drizzle-orm';
import type { Database } from '../../../db/client.js';
import { eventAvailability } from '../../../db/schema/readmodel.js';
import { Failure, failures } from '../../../lib/failures.js';
import { DomainError } from '../../errors.js';
import type { ReservationQueries } from './queries.js';
import type { InFlight, SeatsInFlight } from './seats-in-flight.js';

/** 409 seats_unavailable, naming the seats taken. */
const seatsUnavailable = (seats: readonly string[]) => new DomainError(Failure.SeatsUnavailable, `${failures.SeatsUnavailable.message}: ${seats.join(', ')}`, { seats });

/**
 * A lost race for a seat should cost a read, not a workflow: seats another reservation already has
 * pending, held or sold in the booking store (written by the seat-lock's own transaction, so a hold
 * shows the moment it commits; the read model would show it only after the projection) are refused
 * here, before anything starts. The workflow's seat-lock stays the authority: a seat shown free is
 * always tried, so a refusal can only come from a seat released a moment after the read, never a
 * double sale. Named seats another request is trying right now (./seats-in-flight.ts) are refused
 * too: the race is lost before the winner's workflow has even run.
 */
export function failFast(db: Database, queries: Pick<ReservationQueries, 'byId' | 'seatsTakenByOthers'>, inFlight: SeatsInFlight) {
  /** A repeated Idempotency-Key must get its reservation's own answer, whatever the seats show now. */
  const alreadyStarted = async (reservationId: string): Promise<boolean> => (await queries.byId(reservationId)) !== undefined;

  return {
    /**
     * Refuses (409, with the seats) named seats another reservation has pending, held or sold, or
     * another request is trying right now; otherwise enters them as this request's (the caller
     * leaves if it is then refused or fails). With SEATS_IN_FLIGHT_TTL_MS=0, only the booking store is read.
     */
    async refuseTakenSeats(input: { eventId: string; reservationId: string; keyed: boolean; seatIds: string[] }): Promise<InFlight | undefined> {
      if (inFlight.enabled) {
        // One statement answers all three: taken seats, the entry, and whether a keyed request's reservation exists.
        const result = await inFlight.enter(input);
        if (result.entered) return { leave: () => inFlight.leave(input.reservationId) };
        if (result.seats.length === 0 || result.started) return undefined;
        throw seatsUnavailable(result.seats);
      }
      const seats = await queries.seatsTakenByOthers(input.eventId, input.seatIds, input.reservationId);
      if (seats.length === 0 || (input.keyed && (await alreadyStarted(input.reservationId)))) return undefined;
      throw seatsUnavailable(seats);
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
