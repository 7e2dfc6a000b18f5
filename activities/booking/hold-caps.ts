import { ApplicationFailure } from '@temporalio/common';
import { Failure } from '../../lib/failures.js';
import type { HoldLimitDetails, ReservationRequest } from '../../lib/reservations.js';
import { SeatsTaken } from './seat-claims.js';

export interface HoldCaps {
  /** Seats (or units) pending or held by one customer for one event. */
  maxSeatsPerEvent: number;
  /** Reservations pending or held by one customer, over every event. */
  maxOpenPerCustomer: number;
}

export const holdLimitFailure = (details: HoldLimitDetails): SeatsTaken =>
  new SeatsTaken(
    ApplicationFailure.create({
      type: Failure.HoldLimitReached,
      message: details.per === 'event' ? `Already ${details.held} seat(s) pending or held for this event, at most ${details.limit}` : `Already ${details.held} reservation(s) pending or held, at most ${details.limit}`,
      nonRetryable: true,
      details: [details],
    }),
  );

/**
 * Throws (a SeatsTaken, so the claim is rolled back and the reservation recorded as failed) when
 * this request would take the customer past a cap, given the customer's other open holds counted
 * under the customer's lock (hold-state.ts). Called after the claim, so a request for seats someone else
 * has is still told seats_unavailable.
 */
export function enforceHoldCaps(request: ReservationRequest, open: { reservations: number; seats: number }, caps: HoldCaps): void {
  if (open.seats + request.quantity > caps.maxSeatsPerEvent) throw holdLimitFailure({ limit: caps.maxSeatsPerEvent, held: open.seats, per: 'event' });
  if (open.reservations + 1 > caps.maxOpenPerCustomer) throw holdLimitFailure({ limit: caps.maxOpenPerCustomer, held: open.reservations, per: 'customer' });
}
