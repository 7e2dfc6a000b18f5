import { setTimeout as delay } from 'node:timers/promises';
import type { Cancellation, ErrorBody, PendingReservation, Reservation } from '../api/contract/index.js';
import { bookingRequest, callTimeout, follow, reservationIn, sendWithRetries, type CallCount, type ReservationAnswer } from './booking.js';
import { errorCodeOf, errorDetails, TransportError } from './http-client.js';
import { readModelLag, runningWorkflows, type VerifierDeps } from './invariants.js';
import { outcomeOfStatus } from './records.js';
import type { RunContext } from './run-context.js';

export interface SettleReport {
  tookMs: number;
  /** Bookings whose outcome was still open after the load, followed until they ended. */
  followedUp: number;
  /** Holds the run cancelled so that nothing is left waiting for a payment. */
  holdsCancelled: number;
  /** Cancellations whose answer was lost and that went through after all. */
  cancelsFoundDone: number;
  settled: boolean;
  workflowsClosed: boolean;
  readModelCaughtUp: boolean;
  problems: string[];
}

const POLL_MS = 250;

/**
 * After the load: follows every open booking to its end, cancels holds the run left behind,
 * waits until no reservation of the run's events is pending or held (and none of a deleted event is
 * still confirmed) and none of their workflows runs, then until the projection has caught up.
 * Everything is bounded by --settle-timeout.
 */
export async function settle(run: RunContext, deps: VerifierDeps, eventIds: readonly string[]): Promise<SettleReport> {
  const started = run.now();
  const deadline = started + run.options.settleTimeoutMs;
  const problems: string[] = [];
  const followedUp = await followUnresolved(run, deadline);

  let holdsCancelled = 0;
  let settled = false;
  let workflowsClosed = false;
  const deleted = run.ledger.events.filter((event) => event.deletedAt !== undefined).map((event) => event.id);
  for (let round = 0; run.now() < deadline && round < 100_000; round++) {
    // Postgres or Temporal may be down for a while after a fault: not an answer yet, asked again until the deadline.
    const open = await orUndefined(deps.stores.booking<{ id: string; status: string; customer_id: string }[]>`
      SELECT id, status, customer_id FROM booking.reservations
      WHERE event_id = ANY(${[...eventIds]}::uuid[])
        AND (status IN ('pending', 'held') OR (status = 'confirmed' AND event_id = ANY(${deleted}::uuid[])))
      LIMIT 500`);
    for (const reservation of (open ?? []).filter((row) => row.status === 'held')) {
      if (await cancelHold(run, reservation.id, reservation.customer_id)) holdsCancelled++;
    }
    settled = open?.length === 0;
    workflowsClosed = settled && (await orUndefined(runningWorkflows(deps.temporal, eventIds, 1, Math.max(1, deadline - run.now()))))?.length === 0;
    if (settled && workflowsClosed) break;
    await delay(POLL_MS);
  }
  const cancelsFoundDone = settled && workflowsClosed ? await settleCancelsInDoubt(run, deps) : 0;
  if (!settled) problems.push(`reservations still pending or held after ${run.options.settleTimeoutMs} ms`);
  else if (!workflowsClosed) problems.push(`workflows still running after ${run.options.settleTimeoutMs} ms`);

  let readModelCaughtUp = false;
  for (let round = 0; round < 100_000; round++) {
    readModelCaughtUp = (await orUndefined(readModelLag(deps.stores, eventIds))) === 0;
    if (readModelCaughtUp || run.now() >= deadline) break;
    await delay(POLL_MS);
  }
  if (!readModelCaughtUp) problems.push('the read model had not caught up with the booking schema in time');
  return { tookMs: run.now() - started, followedUp, holdsCancelled, cancelsFoundDone, settled, workflowsClosed, readModelCaughtUp, problems };
}

/**
 * Bookings whose outcome was still open: followed (a known id) or asked again with their
 * Idempotency-Key (the server answers the first attempt's reservation) until they end, within the
 * settle deadline; their records get the final outcome. Returns how many there were.
 */
async function followUnresolved(run: RunContext, deadline: number): Promise<number> {
  const open = run.unresolved.splice(0);
  await Promise.all(
    open.map(async ({ record, plan }) => {
      const customer = run.customers[record.client];
      if (!customer) return;
      const count: CallCount = { calls: 0, retries: 0 };
      let reservationId = record.reservationId;
      let answer: ReservationAnswer | undefined;
      if (!reservationId && plan.idempotencyKey) {
        const { body, headers } = bookingRequest(run, plan);
        const resent = await sendWithRetries(run, deadline, true, count, (timeoutMs) => run.api.post<Reservation | PendingReservation | ErrorBody>('/api/reservations', body, customer.token, headers, timeoutMs));
        if (!(resent instanceof TransportError) && resent.status < 500) {
          answer = resent;
          reservationId = reservationIn(resent)?.id ?? errorDetails(resent.body).reservation?.id;
        }
      }
      const open = !answer || answer.status === 202 || reservationIn(answer)?.status === 'pending';
      if (reservationId && open) answer = (await follow(run, reservationId, customer.token, ['pending'], Math.max(0, deadline - run.now()), count)).answer;
      record.httpCalls += count.calls;
      if (count.retries > 0) record.retries = (record.retries ?? 0) + count.retries;
      const reservation = answer ? reservationIn(answer) : undefined;
      if (!answer || !reservation || !reservationId || reservation.status === 'pending') {
        // A definite refusal of the resent request (4xx) is its outcome too.
        if (answer && answer.status >= 400 && answer.status < 500) {
          record.status = answer.status;
          record.errorCode = errorCodeOf(answer);
          delete record.unresolved;
        }
        return;
      }
      const final = outcomeOfStatus(reservation.status ?? 'pending', reservation.failureReason);
      record.reservationId = reservationId;
      record.outcome = final.outcome;
      if (final.errorCode) record.errorCode = final.errorCode;
      else delete record.errorCode;
      record.status = 200;
      delete record.unresolved;
      if (final.outcome === 'confirmed') run.ledger.confirm(reservationId, record.eventId, reservation.seats ?? reservation.units ?? record.seatIds ?? [], record.seats, record.client, run.now());
    }),
  );
  return open.length;
}

/** The value, or undefined when the store did not answer (it is asked again). */
async function orUndefined<T>(pending: Promise<T>): Promise<T | undefined> {
  try {
    return await pending;
  } catch {
    return undefined;
  }
}

/** Cancellations the client never heard the end of: once everything has settled, the booking store says whether they happened. */
async function settleCancelsInDoubt(run: RunContext, deps: VerifierDeps): Promise<number> {
  const ids = run.ledger.takeCancelsInDoubt();
  if (ids.length === 0) return 0;
  const rows = (await orUndefined(deps.stores.booking<{ id: string }[]>`SELECT id FROM booking.reservations WHERE id = ANY(${ids}::uuid[]) AND status = 'cancelled'`)) ?? [];
  const end = run.now();
  for (const { id } of rows) {
    const released = run.ledger.cancel(id, end);
    if (released) for (const view of run.viewsOf(released.eventId)) view.release(released.seatIds);
  }
  return rows.length;
}

/** A hold the run left (an interrupted --hold-then-pay): cancelled as its customer. */
async function cancelHold(run: RunContext, reservationId: string, customerId: string): Promise<boolean> {
  const customer = run.customers.find((candidate) => candidate.id === customerId);
  if (!customer) return false;
  try {
    const answer = await run.api.post<Cancellation | ErrorBody>(`/api/reservations/${reservationId}/cancel`, {}, customer.token, undefined, callTimeout(run, Number.MAX_SAFE_INTEGER));
    return answer.status === 200 || errorCodeOf(answer) === 'reservation_not_cancellable';
  } catch (error) {
    if (error instanceof TransportError) return false;
    throw error;
  }
}
