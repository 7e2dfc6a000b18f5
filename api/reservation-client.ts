import { createHash, randomUUID } from 'node:crypto';
import {
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
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
  type CancellationRules,
  type ReservationRecord,
  type ReservationRequest,
  type ReservationSnapshot,
} from '../lib/reservations.js';
import { CustomerIdKey, EventIdKey, ReservationStatusKey, SeatIdsKey } from '../lib/search-attributes.js';
import { Failure, failureTypeOf } from '../lib/failures.js';
import { cancelUpdate, payUpdate, settledUpdate, stateQuery } from '../workflows/reservation-messages.js';
import { eventChangedSignal } from '../workflows/reminder-messages.js';
import { queueChangedSignal } from '../workflows/waiting-room-messages.js';
import { waitingRoomWorkflowId } from '../lib/waiting-room.js';
import type { checkIn, eventCancellation, eventReminders, eventWaitlist, reservation, reservationCancellation, waitingRoom } from '../workflows/index.js';
import { eventRemindersWorkflowId } from '../lib/notifications.js';
import { waitlistWorkflowId, type JoinRequest, type WaitlistPlace } from '../lib/waitlist.js';
import { eventCancelledSignal, joinUpdate, leaveUpdate } from '../workflows/waitlist-messages.js';
import { causeChain, isTemporalNeverSent, isTemporalUnavailable, TemporalDidNotAnswer } from './dependency-errors.js';
import { DomainError, IdempotencyKeyReused } from './errors.js';

/** The memo that names the request a reservation's workflow was started for. */
const REQUEST_HASH_MEMO = 'requestHash';

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

/**
 * The API's connection to Temporal. Lazy, so the API starts and serves what needs no workflow
 * while Temporal is down. gRPC's reconnect back-off is capped at 2 s (its default grows to 2
 * minutes: a server back after a 40 s outage was reached only 9 s later), and a refused call is
 * retried 3 times (about 1 s) instead of 9 (about 15 s): a dead server is reported quickly.
 */
export function temporalConnection(cfg: Pick<Config, 'TEMPORAL_ADDRESS'>): Connection {
  return Connection.lazy({
    address: cfg.TEMPORAL_ADDRESS,
    channelArgs: { 'grpc.initial_reconnect_backoff_ms': 250, 'grpc.max_reconnect_backoff_ms': 2000 },
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 4 }))],
  });
}

/** Share of a start's time kept for asking whether the workflow exists after the start got no answer. */
const PROBE_SHARE = 0.25;
const MAX_PROBE_MS = 1000;
/**
 * A booking's start gets the client's wait, but at least this: a 202 needs the start acknowledged
 * (tests set RESERVATION_WAIT_MS to 1 ms to see one).
 */
const MIN_START_MS = 1000;
/** Every other call gets RESERVATION_WAIT_MS, but at least this: a payment runs activities before it answers. */
const MIN_CALL_MS = 5000;


/** The API's only way to change booking state: start, update, signal and query workflows. */
export class ReservationClient {
  constructor(
    private readonly temporal: Client,
    private readonly cfg: Config,
  ) {}

  private get workflows() {
    return this.temporal.workflow;
  }

  /** A call's time: no request waits on Temporal longer than the reservation wait (10 s by default). */
  private get callMs(): number {
    return Math.max(this.cfg.RESERVATION_WAIT_MS, MIN_CALL_MS);
  }

  /** One call, bounded by a call's time from now. */
  private withinCallTime<T>(call: () => Promise<T>): Promise<T> {
    return this.bounded(Date.now() + this.callMs, call);
  }

  /**
   * Runs `call` with a gRPC deadline, and gives up at that deadline even if the call has not: the
   * SDK's retry of a refused call sleeps without looking at the deadline (a 2 s deadline on a
   * dead server answered after 3 to 3.5 s).
   */
  private async bounded<T>(deadline: number, call: () => Promise<T>): Promise<T> {
    const left = deadline - Date.now();
    if (left <= 0) throw new TemporalDidNotAnswer(0);
    const running = this.temporal.connection.withDeadline(deadline, call);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TemporalDidNotAnswer(left)), left);
    });
    try {
      return await Promise.race([running, timeout]);
    } finally {
      clearTimeout(timer);
      running.catch(() => {});
    }
  }

  /** Whether the Temporal server answers within `timeoutMs` (readiness). */
  async ping(timeoutMs: number): Promise<void> {
    await this.bounded(Date.now() + timeoutMs, () => this.temporal.workflowService.getSystemInfo({}));
  }

  /**
   * Starts the reservation's saga (or joins it, for a repeated Idempotency-Key) and waits, up to
   * `waitMs`, until it is held or over.
   */
  async start(request: ReservationRequest, waitMs: number, protocol: BookingProtocol = this.cfg.BOOKING_PROTOCOL, keyed = false): Promise<StartOutcome> {
    const outcome = await this.startOrJoin(request, waitMs, protocol);
    // A settled answer carries its request's hash (the route compares it); a 202 has only the
    // workflow's memo to say whether a repeated Idempotency-Key came with the same body.
    if (outcome.kind === 'pending' && keyed) await this.refuseOtherRequest(outcome.workflowId, request.requestHash);
    return outcome;
  }

  /**
   * 422 when the workflow under this id was started for another request: its memo (written at
   * start, read without a worker), or, for one started before memos, its state.
   */
  private async refuseOtherRequest(workflowId: string, requestHash: string): Promise<void> {
    const description = await this.withinCallTime(() => this.workflows.getHandle(workflowId).describe());
    const memo = description.memo?.[REQUEST_HASH_MEMO];
    const started = typeof memo === 'string' ? memo : (await this.withinCallTime(() => this.workflows.getHandle(workflowId).query(stateQuery))).requestHash;
    if (started !== requestHash) throw new IdempotencyKeyReused('This Idempotency-Key was used with a different request');
  }

  private async startOrJoin(request: ReservationRequest, waitMs: number, protocol: BookingProtocol): Promise<StartOutcome> {
    const workflowId = reservationWorkflowId(request.reservationId);
    const pending: StartOutcome = { kind: 'pending', reservationId: request.reservationId, workflowId };
    // Both workflows take the same request and answer the same messages (workflows/index.ts).
    const workflowType = protocol === '2pc' ? 'twoPhaseReservation' : 'reservation';
    const operation = new WithStartWorkflowOperation<typeof reservation>(workflowType, {
      workflowId,
      taskQueue: this.cfg.TASK_QUEUE,
      args: [{ ...request, seatIdsWithStatus: true }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // A closed reservation is never started again under the same id: the key stays spent.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      memo: { [REQUEST_HASH_MEMO]: request.requestHash },
      typedSearchAttributes: [
        { key: EventIdKey, value: request.eventId },
        { key: CustomerIdKey, value: request.customerId },
        { key: ReservationStatusKey, value: 'pending' },
        { key: SeatIdsKey, value: request.seatIds },
      ],
      staticSummary: `${request.eventName}: ${request.seating === 'reserved' ? request.seatIds.join(', ') : `${request.quantity} ticket(s)`}`,
      staticDetails: `Reservation ${request.reservationId} by customer ${request.customerId}, ${request.amountCents / 100} ${request.currency}`,
    });
    // The whole call fits in the wait limit (RESERVATION_WAIT_MS when the client does not wait).
    const began = Date.now();
    const budget = Math.max(waitMs > 0 ? waitMs : this.cfg.RESERVATION_WAIT_MS, MIN_START_MS);
    const end = began + budget;
    const startEnd = end - Math.min(MAX_PROBE_MS, budget * PROBE_SHARE);
    // Past the client's wait, a started saga is pending at once.
    const outcomeEnd = began + Math.max(waitMs, 0);
    try {
      if (waitMs <= 0) {
        // Prefer: respond-async: start (or find) the saga and answer at once.
        await this.bounded(startEnd, () => this.workflows.start<typeof reservation>(workflowType, operation.options));
        return pending;
      }
      // Under load even the update's acceptance (the workflow's first task) can take seconds.
      const update = await this.bounded(startEnd, () => this.workflows.startUpdateWithStart(settledUpdate, { waitForStage: 'ACCEPTED', startWorkflowOperation: operation }));
      return await this.settledOrPending(outcomeEnd, pending, () => update.result());
    } catch (error) {
      // Already started, or already over: the client polls the Location, or gets the outcome.
      if (error instanceof WorkflowExecutionAlreadyStartedError || isAlreadyStarted(error)) {
        return waitMs <= 0 ? pending : await this.settledOrPending(outcomeEnd, pending, () => this.workflows.getHandle<typeof reservation>(workflowId).result());
      }
      // Not sent, or not Temporal's fault: the 503 or the error as it is.
      if (!isTemporalUnavailable(error) || isTemporalNeverSent(error)) throw error;
      // No answer to the start: did the workflow start all the same (a slow server, not a dead one)?
      if (await this.exists(workflowId, end)) return pending;
      // Nothing was started: 503, and the client may retry; the same Idempotency-Key maps to the same workflow id.
      throw error;
    }
  }

  /** The saga's outcome if it comes before `end`; else, or if Temporal stops answering, pending (it has started). */
  private async settledOrPending(end: number, pending: StartOutcome, outcome: () => Promise<ReservationSnapshot>): Promise<StartOutcome> {
    try {
      return { kind: 'settled', snapshot: await this.bounded(end, outcome) };
    } catch (error) {
      if (isTemporalUnavailable(error)) return pending;
      throw error;
    }
  }

  /** Whether a workflow with this id exists; a Temporal that does not answer by `end` rethrows. */
  private async exists(workflowId: string, end: number): Promise<boolean> {
    try {
      await this.bounded(end, () => this.workflows.getHandle(workflowId).describe());
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }

  /** The live state of a running or closed saga, or undefined when there is none. */
  async snapshot(reservationId: string): Promise<ReservationSnapshot | undefined> {
    try {
      return await this.withinCallTime(() => this.workflows.getHandle(reservationWorkflowId(reservationId)).query(stateQuery));
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  async pay(reservationId: string, paymentToken: string): Promise<ReservationSnapshot> {
    try {
      return await this.withinCallTime(() => this.workflows.getHandle(reservationWorkflowId(reservationId)).executeUpdate(payUpdate, { args: [{ paymentToken }] }));
    } catch (error) {
      const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
      const rejection = cause instanceof ApplicationFailure ? failureTypeOf(cause.type) : undefined;
      if (rejection === Failure.HoldExpired) throw new DomainError(Failure.HoldExpired);
      if (rejection === Failure.NotPayable) throw new DomainError(Failure.NotPayable, cause?.message);
      if (error instanceof WorkflowNotFoundError) throw new DomainError(Failure.HoldExpired, 'The reservation is no longer waiting for payment');
      throw error;
    }
  }

  /**
   * Cancels through the running saga, or, once it has closed, through a cancellation workflow held
   * to `rules` (a customer's cancel of a sold reservation; its answer names a refusal).
   */
  async cancel(record: ReservationRecord, rules?: CancellationRules): Promise<CancellationResult> {
    const end = Date.now() + this.callMs;
    try {
      return await this.bounded(end, () => this.workflows.getHandle(reservationWorkflowId(record.reservationId)).executeUpdate(cancelUpdate));
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
    // Its id is the reservation's: a retry after a 503 joins the same cancellation.
    return this.bounded(end, () => this.workflows.execute<typeof reservationCancellation>('reservationCancellation', {
      workflowId: cancellationWorkflowId(record.reservationId),
      taskQueue: this.cfg.TASK_QUEUE,
      args: [rules ? { ...record, rules } : record],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [
        { key: EventIdKey, value: record.eventId },
        { key: CustomerIdKey, value: record.customerId },
      ],
      staticSummary: `Cancel reservation ${record.reservationId}`,
    }));
  }

  async cancelEvent(eventId: string, capacity: number): Promise<void> {
    await this.withinCallTime(() => this.workflows.start<typeof eventCancellation>('eventCancellation', {
      workflowId: eventCancellationWorkflowId(eventId),
      taskQueue: this.cfg.TASK_QUEUE,
      args: [{ eventId, capacity }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [{ key: EventIdKey, value: eventId }],
      staticSummary: `Cancel event ${eventId} and refund its reservations`,
    }));
  }

  /** The event's reminder workflow (workflows/event-reminders.ts): started once, joined afterwards. */
  private remindersOptions(eventId: string, startsAt: string) {
    return {
      workflowId: eventRemindersWorkflowId(eventId),
      taskQueue: this.cfg.TASK_QUEUE,
      args: [{ eventId, startsAt }] as [Parameters<typeof eventReminders>[0]],
      typedSearchAttributes: [{ key: EventIdKey, value: eventId }],
      staticSummary: `Reminders for event ${eventId}`,
    };
  }

  /** Makes sure the event's reminders run (a subscriber joined). */
  async followEvent(eventId: string, startsAt: string): Promise<void> {
    await this.withinCallTime(() => this.workflows.start<typeof eventReminders>('eventReminders', { ...this.remindersOptions(eventId, startsAt), workflowIdConflictPolicy: 'USE_EXISTING' }));
  }

  /**
   * The event moved or was cancelled: its reminder workflow reads the catalogue again. Started if
   * it had ended (after the old start time), with the start time subscribers last heard of.
   */
  async eventChanged(eventId: string, previousStartsAt: string): Promise<void> {
    await this.withinCallTime(() =>
      this.workflows.signalWithStart<typeof eventReminders>('eventReminders', { ...this.remindersOptions(eventId, previousStartsAt), signal: eventChangedSignal }),
    );
  }

  /** How the event's waiting-list workflow is started, by a join or by the event's cancellation. */
  private waitlistOptions(eventId: string, startsAt: string) {
    return {
      workflowId: waitlistWorkflowId(eventId),
      taskQueue: this.cfg.TASK_QUEUE,
      args: [{ eventId, startsAt }] as [Parameters<typeof eventWaitlist>[0]],
      typedSearchAttributes: [{ key: EventIdKey, value: eventId }],
      staticSummary: `Waiting list of event ${eventId}`,
    };
  }

  /**
   * Puts the customer on the event's waiting list through its workflow (started by the first join;
   * workflows/event-waitlist.ts), which writes the line: the API never writes booking state.
   */
  async joinWaitlist(eventId: string, startsAt: string, join: JoinRequest): Promise<WaitlistPlace> {
    const start = { ...this.waitlistOptions(eventId, startsAt), workflowIdConflictPolicy: 'USE_EXISTING' as const };
    // An operation is used once: each attempt gets its own.
    return this.withinCallTime(() =>
      retryUnprocessedUpdate(() => this.workflows.executeUpdateWithStart(joinUpdate, { args: [join], startWorkflowOperation: new WithStartWorkflowOperation<typeof eventWaitlist>('eventWaitlist', start) })),
    );
  }

  /**
   * The event was cancelled: its waiting list closes now and tells everyone in it
   * (workflows/event-waitlist.ts). Signal-with-start: a list that has ended, or was never started,
   * runs once to close whatever is in line (a join racing the cancellation included), then ends.
   */
  async closeWaitlist(eventId: string, startsAt: string): Promise<void> {
    await this.withinCallTime(() =>
      this.workflows.signalWithStart<typeof eventWaitlist>('eventWaitlist', { ...this.waitlistOptions(eventId, startsAt), signal: eventCancelledSignal }),
    );
  }

  /** Takes the customer off the list; no list running means they were not on it. */
  async leaveWaitlist(eventId: string, customerId: string): Promise<{ left: boolean }> {
    try {
      return await this.withinCallTime(() => retryUnprocessedUpdate(() => this.workflows.getHandle(waitlistWorkflowId(eventId)).executeUpdate(leaveUpdate, { args: [{ customerId }] })));
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return { left: false };
      throw error;
    }
  }

  /**
   * The event's on-sale workflow (workflows/waiting-room.ts): started when the event gets a queue,
   * told when its settings change (it reads them again at once). Started again if it had ended,
   * e.g. a queue removed and set anew.
   */
  async queueChanged(eventId: string): Promise<void> {
    await this.withinCallTime(() =>
      this.workflows.signalWithStart<typeof waitingRoom>('waitingRoom', {
        workflowId: waitingRoomWorkflowId(eventId),
        taskQueue: this.cfg.TASK_QUEUE,
        args: [{ eventId, tickMs: this.cfg.QUEUE_TICK_MS, ticksPerRun: this.cfg.QUEUE_TICKS_PER_RUN }],
        typedSearchAttributes: [{ key: EventIdKey, value: eventId }],
        staticSummary: `Waiting room of event ${eventId}`,
        signal: queueChangedSignal,
      }),
    );
  }

  /**
   * A buyer joined an open queue in which nobody was waiting: the on-sale workflow may be asleep
   * (it does not tick while idle), wake it. Not started if it has ended (a plain signal).
   */
  async wakeQueue(eventId: string): Promise<void> {
    await this.withinCallTime(() => this.workflows.getHandle(waitingRoomWorkflowId(eventId)).signal(queueChangedSignal));
  }

  async checkIn(code: string): Promise<{ code: string; checkedInAt: string }> {
    try {
      return await this.withinCallTime(() =>
        this.workflows.execute<typeof checkIn>('checkIn', {
          workflowId: `${checkInWorkflowId(code)}-${randomUUID()}`,
          taskQueue: this.cfg.TASK_QUEUE,
          args: [{ code }],
        }),
      );
    } catch (error) {
      const failure = applicationFailureIn(error);
      const type = failureTypeOf(failure?.type);
      if (type === Failure.AlreadyCheckedIn || type === Failure.TicketVoid) throw new DomainError(type);
      if (type === Failure.TicketNotFound) throw new DomainError(type, `No ticket ${code}`);
      throw error;
    }
  }
}

/**
 * Many updates of one workflow at once (a burst of joins of one waiting list) get some rejected by
 * the server with "it wasn't processed by worker" (seen on the dev server, 2 of 40 at once): such an
 * update was never accepted, so it did nothing, and is sent again (a few times, within the call's time).
 */
async function retryUnprocessedUpdate<T>(send: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      const unprocessed = error instanceof WorkflowUpdateFailedError && /wasn't processed by worker/i.test(`${error.cause?.message ?? ''} ${error.message}`);
      if (!unprocessed || attempt >= attempts) throw error;
    }
  }
}

function isAlreadyStarted(error: unknown): boolean {
  return error instanceof Error && /already started|AlreadyStarted/i.test(`${error.name} ${error.message}`);
}

/** The ApplicationFailure at the bottom of a WorkflowFailedError → ActivityFailure chain. */
function applicationFailureIn(error: unknown): ApplicationFailure | undefined {
  return [...causeChain(error)].find((link): link is ApplicationFailure => link instanceof ApplicationFailure);
}
