import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Config } from '../lib/config.js';
import {
  cancellationWorkflowId,
  checkInWorkflowId,
  eventCancellationWorkflowId,
  reservationWorkflowId,
  type CancellationResult,
  type ReservationRecord,
  type ReservationRequest,
  type ReservationSnapshot,
} from '../lib/reservations.js';
import { CustomerIdKey, EventIdKey, ReservationStatusKey, SeatIdsKey } from '../lib/search-attributes.js';
import { Failure, failureTypeOf } from '../lib/failures.js';
import { cancelUpdate, payUpdate, settledUpdate, stateQuery } from '../workflows/reservation-messages.js';
import type { checkIn, eventCancellation, reservation, reservationCancellation } from '../workflows/index.js';
import { DomainError } from './errors.js';

/** Same customer and Idempotency-Key → same reservation id, hence the same workflow. */
export function reservationIdFor(customerId: string, idempotencyKey: string | undefined): string {
  if (!idempotencyKey) return randomUUID();
  const hex = createHash('sha256').update(`${customerId}\n${idempotencyKey}`).digest('hex');
  // Shaped as a version-8 (custom) UUID.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

export const requestHash = (body: unknown): string => createHash('sha256').update(JSON.stringify(body)).digest('hex');

export type BookingProtocol = Config['BOOKING_PROTOCOL'];

export type StartOutcome = { kind: 'settled'; snapshot: ReservationSnapshot } | { kind: 'pending'; reservationId: string; workflowId: string };


/** The API's only way to change booking state: start, update, signal and query workflows. */
export class ReservationClient {
  constructor(
    private readonly temporal: Client,
    private readonly cfg: Config,
  ) {}

  private get workflows() {
    return this.temporal.workflow;
  }

  /** Whether the Temporal server answers within `timeoutMs` (readiness). */
  async ping(timeoutMs: number): Promise<void> {
    await this.temporal.connection.withDeadline(Date.now() + timeoutMs, () => this.temporal.workflowService.getSystemInfo({}));
  }

  /**
   * Starts the reservation's saga (or joins it, for a repeated Idempotency-Key) and waits, up to
   * `waitMs`, until it is held or over.
   */
  async start(request: ReservationRequest, waitMs: number, protocol: BookingProtocol = this.cfg.BOOKING_PROTOCOL): Promise<StartOutcome> {
    const workflowId = reservationWorkflowId(request.reservationId);
    const pending: StartOutcome = { kind: 'pending', reservationId: request.reservationId, workflowId };
    // Both workflows take the same request and answer the same messages (workflows/index.ts).
    const workflowType = protocol === '2pc' ? 'twoPhaseReservation' : 'reservation';
    const operation = new WithStartWorkflowOperation<typeof reservation>(workflowType, {
      workflowId,
      taskQueue: this.cfg.TASK_QUEUE,
      args: [request],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // A closed reservation is never started again under the same id: the key stays spent.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: EventIdKey, value: request.eventId },
        { key: CustomerIdKey, value: request.customerId },
        { key: ReservationStatusKey, value: 'pending' },
        { key: SeatIdsKey, value: request.seatIds },
      ],
      staticSummary: `${request.eventName}: ${request.seating === 'reserved' ? request.seatIds.join(', ') : `${request.quantity} ticket(s)`}`,
      staticDetails: `Reservation ${request.reservationId} by customer ${request.customerId}, ${request.amountCents / 100} ${request.currency}`,
    });
    if (waitMs <= 0) {
      // Prefer: respond-async: start (or find) the saga and answer at once.
      await this.workflows.start<typeof reservation>(workflowType, operation.options).catch((error: unknown) => {
        // Already started, or already over: either way the client polls the Location.
        if (!(error instanceof WorkflowExecutionAlreadyStartedError || isAlreadyStarted(error))) throw error;
      });
      return pending;
    }
    // The wait limit bounds the whole call: under load, even the update's acceptance (the
    // workflow's first task) can take seconds.
    const settled = (async (): Promise<StartOutcome> => {
      try {
        const update = await this.workflows.startUpdateWithStart(settledUpdate, { waitForStage: 'ACCEPTED', startWorkflowOperation: operation });
        return { kind: 'settled', snapshot: await update.result() };
      } catch (error) {
        // The workflow with this id has closed already: answer with its outcome.
        if (error instanceof WorkflowExecutionAlreadyStartedError || isAlreadyStarted(error)) {
          return { kind: 'settled', snapshot: await this.workflows.getHandle(workflowId).result() };
        }
        throw error;
      }
    })();
    const outcome = await Promise.race([settled, delay(waitMs, 'timeout' as const, { ref: false })]);
    if (outcome !== 'timeout') return outcome;
    // Still running: the client polls the Location. A late failure of the call is not lost: the
    // saga itself carries on, and its outcome is read from the workflow.
    settled.catch(() => {});
    return pending;
  }

  /** The live state of a running or closed saga, or undefined when there is none. */
  async snapshot(reservationId: string): Promise<ReservationSnapshot | undefined> {
    try {
      return await this.workflows.getHandle(reservationWorkflowId(reservationId)).query(stateQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  async pay(reservationId: string, paymentToken: string): Promise<ReservationSnapshot> {
    try {
      return await this.workflows.getHandle(reservationWorkflowId(reservationId)).executeUpdate(payUpdate, { args: [{ paymentToken }] });
    } catch (error) {
      const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
      const rejection = cause instanceof ApplicationFailure ? failureTypeOf(cause.type) : undefined;
      if (rejection === Failure.HoldExpired) throw new DomainError(Failure.HoldExpired);
      if (rejection === Failure.NotPayable) throw new DomainError(Failure.NotPayable, cause?.message);
      if (error instanceof WorkflowNotFoundError) throw new DomainError(Failure.HoldExpired, 'The reservation is no longer waiting for payment');
      throw error;
    }
  }

  /** Cancels through the running saga, or, once it has closed, through a cancellation workflow. */
  async cancel(record: ReservationRecord): Promise<CancellationResult> {
    try {
      return await this.workflows.getHandle(reservationWorkflowId(record.reservationId)).executeUpdate(cancelUpdate);
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
    return this.workflows.execute<typeof reservationCancellation>('reservationCancellation', {
      workflowId: cancellationWorkflowId(record.reservationId),
      taskQueue: this.cfg.TASK_QUEUE,
      args: [record],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [
        { key: EventIdKey, value: record.eventId },
        { key: CustomerIdKey, value: record.customerId },
      ],
      staticSummary: `Cancel reservation ${record.reservationId}`,
    });
  }

  async cancelEvent(eventId: string, capacity: number): Promise<void> {
    await this.workflows.start<typeof eventCancellation>('eventCancellation', {
      workflowId: eventCancellationWorkflowId(eventId),
      taskQueue: this.cfg.TASK_QUEUE,
      args: [{ eventId, capacity }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [{ key: EventIdKey, value: eventId }],
      staticSummary: `Cancel event ${eventId} and refund its reservations`,
    });
  }

  async checkIn(code: string): Promise<{ code: string; checkedInAt: string }> {
    try {
      return await this.workflows.execute<typeof checkIn>('checkIn', {
        workflowId: `${checkInWorkflowId(code)}-${randomUUID()}`,
        taskQueue: this.cfg.TASK_QUEUE,
        args: [{ code }],
      });
    } catch (error) {
      const failure = applicationFailureIn(error);
      const type = failureTypeOf(failure?.type);
      if (type === Failure.AlreadyCheckedIn || type === Failure.TicketVoid) throw new DomainError(type);
      if (type === Failure.TicketNotFound) throw new DomainError(type, `No ticket ${code}`);
      throw error;
    }
  }
}

function isAlreadyStarted(error: unknown): boolean {
  return error instanceof Error && /already started|AlreadyStarted/i.test(`${error.name} ${error.message}`);
}

/** The ApplicationFailure at the bottom of a WorkflowFailedError → ActivityFailure chain. */
function applicationFailureIn(error: unknown): ApplicationFailure | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof ApplicationFailure) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
