import type { Cancellation, ErrorBody } from '../api/contract/index.js';
import { setTimeout as delay } from 'node:timers/promises';
import { follow, reservationIn } from './booking.js';
import { errorCodeOf, TransportError } from './http-client.js';
import { readModelLag, runningWorkflows, type VerifierDeps } from './invariants.js';
import { outcomeOfStatus } from './records.js';
import type { RunContext } from './run-context.js';

export interface SettleReport {
  tookMs: number;
  /** Bookings whose outcome was still open after the load, followed until they ended. */
  followedUp: number;
  /** Holds the run cancelled so that nothing is left waiting for a payment. */
  holdsCancelled: number;
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
    const open = await deps.stores.booking<{ id: string; status: string; customer_id: string }[]>`
      SELECT id, status, customer_id FROM booking.reservations
      WHERE event_id = ANY(${[...eventIds]}::uuid[])
        AND (status IN ('pending', 'held') OR (status = 'confirmed' AND event_id = ANY(${deleted}::uuid[])))
      LIMIT 500`;
    for (const reservation of open.filter((row) => row.status === 'held')) {
      if (await cancelHold(run, reservation.id, reservation.customer_id)) holdsCancelled++;
    }
    settled = open.length === 0;
    workflowsClosed = settled && (await runningWorkflows(deps.temporal, eventIds, 1)).length === 0;
    if (settled && workflowsClosed) break;
    await delay(POLL_MS);
  }
  if (!settled) problems.push(`reservations still pending or held after ${run.options.settleTimeoutMs} ms`);
  else if (!workflowsClosed) problems.push(`workflows still running after ${run.options.settleTimeoutMs} ms`);

  let readModelCaughtUp = false;
  for (let round = 0; round < 100_000; round++) {
    readModelCaughtUp = (await readModelLag(deps.stores, eventIds)) === 0;
    if (readModelCaughtUp || run.now() >= deadline) break;
    await delay(POLL_MS);
  }
  if (!readModelCaughtUp) problems.push('the read model had not caught up with the booking schema in time');
  return { tookMs: run.now() - started, followedUp, holdsCancelled, settled, workflowsClosed, readModelCaughtUp, problems };
}

/** Bookings left pending (or unanswered, with a known id): polled until they end; their records get the final outcome. */
async function followUnresolved(run: RunContext, deadline: number): Promise<number> {
  const open = run.unresolved.splice(0);
  await Promise.all(
    open.map(async (record) => {
      const customer = run.customers[record.client];
      if (!record.reservationId || !customer) return;
      const { answer, calls } = await follow(run, record.reservationId, customer.token, ['pending'], Math.max(0, deadline - run.now()));
      record.httpCalls += calls;
      const reservation = reservationIn(answer);
      if (answer.status !== 200 || !reservation) return;
      const final = outcomeOfStatus(reservation.status ?? 'pending', reservation.failureReason);
      record.outcome = final.outcome;
      if (final.errorCode) record.errorCode = final.errorCode;
      else delete record.errorCode;
      record.status = 200;
      if (final.outcome === 'confirmed') run.ledger.confirm(record.reservationId, record.eventId, reservation.seats ?? reservation.units ?? record.seatIds ?? [], record.seats, record.client, run.now());
    }),
  );
  return open.length;
}

/** A hold the run left (an interrupted --hold-then-pay): cancelled as its customer. */
async function cancelHold(run: RunContext, reservationId: string, customerId: string): Promise<boolean> {
  const customer = run.customers.find((candidate) => candidate.id === customerId);
  if (!customer) return false;
  try {
    const answer = await run.api.post<Cancellation | ErrorBody>(`/api/reservations/${reservationId}/cancel`, {}, customer.token);
    return answer.status === 200 || errorCodeOf(answer) === 'reservation_not_cancellable';
  } catch (error) {
    if (error instanceof TransportError) return false;
    throw error;
  }
}
