import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Config } from '../lib/config.js';
import { reservationWorkflowId, type ReservationRequest } from '../lib/reservations.js';
import { CustomerIdKey, EventIdKey, ReservationStatusKey, SeatIdsKey } from '../lib/search-attributes.js';
import { OFFERS_MADE_SIGNAL, waitlistWorkflowId } from '../lib/waitlist.js';

/**
 * The worker's own Temporal client, for the two things the waiting list asks of Temporal from an
 * activity (docs/waiting-list.md): the seat release wakes the event's waiting-list workflow, and
 * that workflow starts an offer's reservation saga, as the API starts any other. Lazy: nothing
 * connects until the first offer.
 */
export function createWaitlistSagas(cfg: Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE' | 'TASK_QUEUE'>) {
  let client: Client | undefined;
  const connection = Connection.lazy({ address: cfg.TEMPORAL_ADDRESS });
  const workflows = () => (client ??= new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE })).workflow;

  return {
    /** Signals the event's waiting-list workflow, starting it if it has ended. */
    async announce(eventId: string): Promise<void> {
      await workflows().signalWithStart('eventWaitlist', {
        workflowId: waitlistWorkflowId(eventId),
        taskQueue: cfg.TASK_QUEUE,
        args: [{ eventId }],
        signal: OFFERS_MADE_SIGNAL,
        typedSearchAttributes: [{ key: EventIdKey, value: eventId }],
        staticSummary: `Waiting list of event ${eventId}`,
      });
    },

    /** Starts the offer's saga under the reservation's own workflow id; already started (or over) is done. */
    async startSaga(request: ReservationRequest): Promise<void> {
      try {
        await workflows().start('reservation', {
          workflowId: reservationWorkflowId(request.reservationId),
          taskQueue: cfg.TASK_QUEUE,
          args: [request],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          memo: { requestHash: request.requestHash },
          typedSearchAttributes: [
            { key: EventIdKey, value: request.eventId },
            { key: CustomerIdKey, value: request.customerId },
            { key: ReservationStatusKey, value: 'pending' },
            { key: SeatIdsKey, value: request.seatIds },
          ],
          staticSummary: `${request.eventName}: waiting-list offer of ${request.seating === 'reserved' ? request.seatIds.join(', ') : `${request.quantity} ticket(s)`}`,
          staticDetails: `Reservation ${request.reservationId} offered to customer ${request.customerId}, ${request.amountCents / 100} ${request.currency}`,
        });
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
    },

    async close(): Promise<void> {
      await connection.close();
    },
  };
}
