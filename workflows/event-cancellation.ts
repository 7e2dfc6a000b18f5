import { continueAsNew, executeChild, getExternalWorkflowHandle, ParentClosePolicy, proxyActivities } from '@temporalio/workflow';
import type { SeatActivities } from '../activities/seats.js';
import { cancellationWorkflowId, reservationWorkflowId } from '../lib/reservations.js';
import { CustomerIdKey, EventIdKey } from '../lib/search-attributes.js';
import { cancelSignal } from './reservation-messages.js';
import { reservationCancellation } from './reservation-cancellation.js';

const booking = proxyActivities<Pick<SeatActivities, 'closeInventory' | 'liveReservations'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

const PAGE = 100;
/** Pages handled per run before continuing as new, to keep the history small. */
const PAGES_PER_RUN = 5;

export interface EventCancellationInput {
  eventId: string;
  capacity: number;
  /** Resume point after continue-as-new. */
  afterReservationId?: string;
}

/**
 * An organizer cancelled the event: stop new holds, then cancel every live reservation through its
 * own workflow, with refunds. Running sagas get a cancel signal; closed confirmed ones a
 * reservationCancellation child.
 */
export async function eventCancellation(input: EventCancellationInput): Promise<{ cancelled: number }> {
  await booking.closeInventory({ eventId: input.eventId, capacity: input.capacity });
  let after = input.afterReservationId;
  let cancelled = 0;
  for (let page = 0; page < PAGES_PER_RUN; page++) {
    const live = await booking.liveReservations({ eventId: input.eventId, limit: PAGE, ...(after ? { afterReservationId: after } : {}) });
    if (live.length === 0) return { cancelled };
    await Promise.all(
      live.map(async (reservation) => {
        try {
          await getExternalWorkflowHandle(reservationWorkflowId(reservation.request.reservationId)).signal(cancelSignal);
        } catch {
          // The saga has closed (confirmed): undo it with its own cancellation workflow.
          await executeChild(reservationCancellation, {
            args: [reservation.request],
            workflowId: cancellationWorkflowId(reservation.request.reservationId),
            parentClosePolicy: ParentClosePolicy.ABANDON,
            typedSearchAttributes: [
              { key: EventIdKey, value: reservation.request.eventId },
              { key: CustomerIdKey, value: reservation.request.customerId },
            ],
          });
        }
      }),
    );
    cancelled += live.length;
    after = live[live.length - 1]?.request.reservationId;
  }
  return continueAsNew<typeof eventCancellation>({ ...input, ...(after ? { afterReservationId: after } : {}) });
}
