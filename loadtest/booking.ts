import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Cancellation, ErrorBody, PendingReservation, Reservation } from '../api/contract/index.js';
import { reservationWorkflowId } from '../lib/reservations.js';
import { errorCodeOf, errorDetails, isErrorBody, TransportError } from './http-client.js';
import { decideRetry, RETRY_AFTER_CAP_MS, retryAfterMs, type AttemptResult } from './retry-policy.js';
import { outcomeOfStatus, type Outcome, type RequestRecord } from './records.js';
import type { BookingPlan, Customer, RunContext } from './run-context.js';

/** What one booking attempt asks for. */
export type { BookingPlan } from './run-context.js';

/** POST /api/reservations, /pay and GET /api/reservations/:id: the reservation (200/201), pending (202), or an error. */
export type ReservationAnswer = { status: number; body: Reservation | PendingReservation | ErrorBody; retryAfter?: string };

/** The reservation of a 2xx answer; a pending one has only its id, status and workflow. */
export function reservationIn(answer: ReservationAnswer): Partial<Reservation> | undefined {
  return answer.status >= 200 && answer.status < 300 && !isErrorBody(answer.body) ? answer.body : undefined;
}

type Final = { outcome: Outcome; status: number; errorCode?: string; reservationId?: string; seatIds?: string[]; takenSeats?: string[] };

export interface Booked {
  record: RequestRecord;
  /** seats_unavailable: the seats someone else has. */
  takenSeats: string[];
}

/** Counts one booking's HTTP calls and how many of them repeated an earlier one. */
export interface CallCount {
  calls: number;
  retries: number;
}

/** This call's time limit: the client's own, or less when the booking's deadline is nearer. */
export const callTimeout = (run: RunContext, deadline: number): number => Math.max(1, Math.min(run.options.requestTimeoutMs, deadline - run.now()));

/**
 * One request, asked again (same Idempotency-Key, same body) while retry-policy.ts says so: after a
 * lost answer, a 5xx (a 503's Retry-After honoured) or a 429, within the booking's deadline.
 */
export async function sendWithRetries<A extends { status: number; retryAfter?: string; body?: unknown }>(run: RunContext, deadline: number, keyed: boolean, count: CallCount, send: (timeoutMs: number) => Promise<A>): Promise<A | TransportError> {
  for (let attempts = 1; ; attempts++) {
    count.calls++;
    let result: A | TransportError;
    try {
      result = await send(callTimeout(run, deadline));
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      result = error;
    }
    const attempt: AttemptResult = result instanceof TransportError ? { kind: 'transport', code: result.code } : { kind: 'answer', status: result.status, ...(result.retryAfter ? { retryAfter: result.retryAfter } : {}), ...(endedReservationIn(result.body) ? { ended: true } : {}) };
    const decision = decideRetry({ attempts, result: attempt, keyed, leftMs: deadline - run.now() });
    if (!decision.retry) return result;
    count.retries++;
    await delay(decision.waitMs);
  }
}

/** A 5xx that carries its failed reservation (payments unavailable, tickets not issued) is that key's final answer. */
const endedReservationIn = (body: unknown): boolean => errorDetails(body).reservation?.status === 'failed';

/** A booking's whole life (its POST, retries, polls and payment) ends by then; what is still open is settled after the load. */
export const bookingDeadline = (run: RunContext, start: number): number => start + run.options.requestTimeoutMs + run.options.pendingTimeoutMs;

/**
 * One booking through the public API: POST /api/reservations (with the card, or without it and then
 * /pay), following a 202 until the reservation settles. Returns its record; the ledger and the
 * client's seat view learn the outcome. With an Idempotency-Key, a request that got no answer or a
 * 5xx is sent again with the same key; an outcome still unknown at the deadline is left to settle().
 */
export async function book(run: RunContext, plan: BookingPlan): Promise<Booked> {
  const start = run.now();
  const deadline = bookingDeadline(run, start);
  const count: CallCount = { calls: 0, retries: 0 };
  let answeredPending = false;
  let holdMs: number | undefined;
  const { body, headers } = bookingRequest(run, plan);

  let final: Final;
  const answer = await sendWithRetries(run, deadline, plan.idempotencyKey !== undefined, count, (timeoutMs) =>
    run.api.post<Reservation | PendingReservation | ErrorBody>('/api/reservations', body, plan.customer.token, headers, timeoutMs),
  );
  if (answer instanceof TransportError) {
    final = { outcome: 'failed', status: 0, errorCode: answer.code };
  } else if (answer.status === 202 || (answer.status === 201 && reservationIn(answer)?.status === 'held')) {
    const reservationId = reservationIn(answer)?.id ?? '';
    let settled: ReservationAnswer = answer;
    if (answer.status === 202) {
      answeredPending = true;
      const followed = await follow(run, reservationId, plan.customer.token, plan.holdThenPay ? ['pending'] : ['pending', 'held'], deadline - run.now(), count);
      settled = followed.answer;
    }
    if (plan.holdThenPay && reservationIn(settled)?.status === 'held') {
      holdMs = run.now() - start;
      settled = await pay(run, reservationId, plan, deadline, count);
    }
    final = finalOf(settled, reservationId);
  } else {
    final = finalOf(answer, reservationIn(answer)?.id ?? errorDetails(answer.body).reservation?.id);
  }

  const end = run.now();
  const record = run.record({
    kind: 'reserve',
    client: plan.customer.index,
    eventId: plan.event.id,
    ...(final.reservationId ? { reservationId: final.reservationId } : {}),
    seats: plan.seatIds?.length ?? plan.quantity,
    ...(plan.seatIds ? { seatIds: plan.seatIds } : {}),
    start,
    end,
    latencyMs: end - start,
    status: final.status,
    outcome: final.outcome,
    ...(final.errorCode ? { errorCode: final.errorCode } : {}),
    httpCalls: count.calls,
    ...(count.retries > 0 ? { retries: count.retries } : {}),
    ...(answeredPending ? { answeredPending } : {}),
    ...(holdMs !== undefined ? { holdMs } : {}),
    ...(plan.idempotencyKey ? { idempotencyKey: plan.idempotencyKey } : {}),
    ...(plan.sameRequest ? { sameRequest: plan.sameRequest } : {}),
  });
  if (record.outcome === 'confirmed' && record.reservationId) {
    run.ledger.confirm(record.reservationId, plan.event.id, final.seatIds ?? plan.seatIds ?? [], record.seats, plan.customer.index, end);
  }
  if (isUnresolved(record)) {
    record.unresolved = true;
    run.unresolved.push({ record, plan });
  }
  return { record, takenSeats: final.takenSeats ?? [] };
}

/** The body and headers of a booking's POST; a resend with its key must send exactly these again. */
export function bookingRequest(run: RunContext, plan: BookingPlan): { body: Record<string, unknown>; headers: Record<string, string> } {
  return {
    body: {
      eventId: plan.event.id,
      ...(plan.seatIds ? { seats: plan.seatIds } : { quantity: plan.quantity, ...(plan.bestAvailable ? { bestAvailable: true } : {}) }),
      ...(plan.holdThenPay ? {} : { paymentToken: plan.paymentToken }),
    },
    headers: {
      'Booking-Protocol': run.options.protocol,
      ...(plan.idempotencyKey ? { 'Idempotency-Key': plan.idempotencyKey } : {}),
      ...(plan.respondAsync ? { Prefer: 'respond-async' } : {}),
      ...(plan.admissionToken ? { 'Admission-Token': plan.admissionToken } : {}),
    },
  };
}

/**
 * The booking's outcome is not known: still pending when its follow-up ended, or no definite answer
 * (none at all, or a 5xx) while the server may have it (a known reservation id, or a key to ask with).
 */
export function isUnresolved(record: RequestRecord): boolean {
  if (record.outcome === 'confirmed') return false;
  if (record.errorCode === 'pending_timeout') return true;
  const indefinite = record.status === 0 || record.status >= 500;
  return indefinite && (record.reservationId !== undefined || record.idempotencyKey !== undefined);
}

/** A settled answer (201, 200, 4xx, 5xx, or a polled reservation) → the outcome. */
function finalOf(answer: ReservationAnswer, reservationId: string | undefined): Final {
  const id = reservationId ? { reservationId } : {};
  const reservation = reservationIn(answer);
  if (reservation && answer.status <= 202) {
    const seatIds = reservation.seats ?? reservation.units;
    return { ...outcomeOfStatus(reservation.status ?? 'pending', reservation.failureReason), status: answer.status, ...id, ...(seatIds ? { seatIds } : {}) };
  }
  const takenSeats = errorDetails(answer.body).seats;
  return { outcome: 'failed', status: answer.status, errorCode: errorCodeOf(answer), ...id, ...(takenSeats ? { takenSeats } : {}) };
}

/**
 * Polls GET /api/reservations/:id while its status is one of `waitWhile`, for up to `timeoutMs`
 * (--pending-timeout by default); every GET is limited to what is left of that, and a 503's
 * Retry-After is honoured.
 */
export async function follow(
  run: RunContext,
  reservationId: string,
  token: string,
  waitWhile: readonly string[],
  timeoutMs = run.options.pendingTimeoutMs,
  count: CallCount = { calls: 0, retries: 0 },
): Promise<{ answer: ReservationAnswer; calls: number }> {
  const deadline = run.now() + timeoutMs;
  const callsBefore = count.calls;
  let waitMs = 100;
  let last: ReservationAnswer = { status: 202, body: { id: reservationId, status: 'pending', workflowId: reservationWorkflowId(reservationId) } };
  for (let round = 0; round < 100_000; round++) {
    const pause = Math.min(waitMs, deadline - run.now());
    if (pause <= 0) break;
    await delay(pause);
    waitMs = Math.min(waitMs * 1.5, 1000);
    if (run.now() >= deadline) break;
    count.calls++;
    try {
      const answer = await run.api.get<Reservation | ErrorBody>(`/api/reservations/${reservationId}`, token, callTimeout(run, deadline));
      const reservation = reservationIn(answer);
      if (answer.status !== 200 || !reservation) {
        // 404 while the workflow has not written anything yet is possible only for an instant; keep asking.
        if (answer.status >= 500 || answer.status === 404 || answer.status === 429) {
          count.retries++;
          waitMs = Math.max(waitMs, Math.min(retryAfterMs(answer.retryAfter) ?? 0, RETRY_AFTER_CAP_MS));
          continue;
        }
        return { answer, calls: count.calls - callsBefore };
      }
      last = { status: 202, body: answer.body };
      if (!waitWhile.includes(reservation.status ?? 'pending')) return { answer: { status: 200, body: answer.body }, calls: count.calls - callsBefore };
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      count.retries++;
    }
  }
  return { answer: last, calls: count.calls - callsBefore };
}

/** POST /pay; when its answer is lost (or a 5xx), the reservation is followed until it ends. */
async function pay(run: RunContext, reservationId: string, plan: BookingPlan, deadline: number, count: CallCount): Promise<ReservationAnswer> {
  count.calls++;
  try {
    const answer = await run.api.post<Reservation | ErrorBody>(`/api/reservations/${reservationId}/pay`, { paymentToken: plan.paymentToken }, plan.customer.token, undefined, callTimeout(run, deadline));
    if (answer.status < 500) return answer;
  } catch (error) {
    if (!(error instanceof TransportError)) throw error;
  }
  count.retries++;
  return (await follow(run, reservationId, plan.customer.token, ['pending', 'held'], deadline - run.now(), count)).answer;
}

/**
 * POST /api/reservations/:id/cancel for a confirmed booking; the ledger and the seat views get the
 * seats back. Cancelling is idempotent, so a lost answer or a 5xx is asked again; when an attempt's
 * outcome stayed unknown, the reservation itself says whether it was cancelled.
 */
export async function cancel(run: RunContext, booking: { reservationId: string; eventId: string; seats: number }, customer: Customer): Promise<RequestRecord> {
  const start = run.now();
  const deadline = start + run.options.requestTimeoutMs + run.options.pendingTimeoutMs;
  const count: CallCount = { calls: 0, retries: 0 };
  let status = 0;
  let errorCode: string | undefined;
  const answer = await sendWithRetries(run, deadline, true, count, (timeoutMs) =>
    run.api.post<Cancellation | ErrorBody>(`/api/reservations/${booking.reservationId}/cancel`, {}, customer.token, undefined, timeoutMs),
  );
  if (answer instanceof TransportError) errorCode = answer.code;
  else {
    status = answer.status;
    if (answer.status !== 200 || isErrorBody(answer.body) || answer.body.status !== 'cancelled') errorCode = errorCodeOf(answer);
  }
  if (errorCode && (count.retries > 0 || status === 0 || status >= 500)) {
    const now = await follow(run, booking.reservationId, customer.token, [], Math.max(1, deadline - run.now()), count);
    if (reservationIn(now.answer)?.status === 'cancelled') errorCode = undefined;
  }
  const end = run.now();
  if (!errorCode) {
    const released = run.ledger.cancel(booking.reservationId, end);
    if (released) for (const view of run.viewsOf(released.eventId)) view.release(released.seatIds);
  } else if (count.retries > 0 || status === 0 || status >= 500) {
    // Not heard of in time, but perhaps done (the update can finish after its answer was lost).
    run.ledger.cancelInDoubt(booking.reservationId);
  }
  run.ledger.doneCancelling(booking.reservationId);
  return run.record({
    kind: 'cancel',
    client: customer.index,
    eventId: booking.eventId,
    reservationId: booking.reservationId,
    seats: booking.seats,
    start,
    end,
    latencyMs: end - start,
    status,
    outcome: errorCode ? 'failed' : 'cancelled',
    ...(errorCode ? { errorCode } : {}),
    httpCalls: count.calls,
    ...(count.retries > 0 ? { retries: count.retries } : {}),
  });
}

export const newIdempotencyKey = (): string => `load-${randomUUID()}`;
