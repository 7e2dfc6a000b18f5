import { Context } from '@temporalio/activity';
import type { ReservationRequest } from '../../lib/reservations.js';
import type { Coordinator, TwoPhaseBooking } from './coordinator.js';

/** The Temporal activity: one attempt of the atomic booking per activity attempt. */
export function createTwoPhaseActivities(coordinator: Coordinator) {
  return {
    /** Books seats, payment and tickets in one two-phase commit across the three stores. */
    async bookAtomically(request: ReservationRequest): Promise<TwoPhaseBooking> {
      const context = Context.current();
      // Heartbeats tell Temporal within seconds that this coordinator died, even while it waits
      // for seat locks; the retry is a new attempt that settles this one first.
      const beat = setInterval(() => context.heartbeat(), 1000);
      try {
        return await coordinator.book(request, context.info.attempt);
      } finally {
        clearInterval(beat);
      }
    },
  };
}

export type TwoPhaseActivities = ReturnType<typeof createTwoPhaseActivities>;
