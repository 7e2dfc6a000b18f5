import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Cancellation, ErrorBody, PendingReservation, Reservation } from '../api/contract/index.js';
import { reservationWorkflowId } from '../lib/reservations.js';
import { errorCodeOf, errorDetails, isErrorBody, TransportError } from './http-client.js';
import type { RunEvent } from './ledger.js';
import { outcomeOfStatus, type Outcome, type RequestRecord } from './records.js';
import type { Customer, RunContext } from './run-context.js';

/** What one booking attempt asks for. */
export interface BookingPlan {
  event: RunEvent;
  customer: Customer;
  /** Reserved seating: the seats. General admission: undefined, and `quantity` tickets. */
  seatIds?: string[];
  quantity: number;
  paymentToken: 'tok_visa' | 'tok_declined' | 'tok_slow';
  holdThenPay: boolean;
  respondAsync: boolean;
  /** Sent as Idempotency-Key; with one, a lost answer can be asked for again safely. */
  idempotencyKey?: string;
  sameRequest?: 'keyed' | 'unkeyed';
}

/** POST /api/reservations, /pay and GET /api/reservations/:id: the reservation (200/201), pending (202), or an error. */
export type ReservationAnswer = { status: number; body: Reservation | PendingReservation | ErrorBody };

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

/** Transport retries of the same keyed request, to learn the outcome of an answer that was lost. */
const RESEND_ATTEMPTS = 2;

/**
 * One booking through the public API: POST /api/reservations (with the card, or without it and then
 * /pay), following a 202 until the reservation settles. Returns its record; the ledger and the
 * client's seat view learn the outcome.
 */
export async function book(run: RunContext, plan: BookingPlan): Promise<Booked> {
  const start = run.now();
  let calls = 0;
  let answeredPending = false;
  let holdMs: number | undefined;
  const body = {
    eventId: plan.event.id,
    ...(plan.seatIds ? { seats: plan.seatIds } : { quantity: plan.quantity }),
    ...(plan.holdThenPay ? {} : { paymentToken: plan.paymentToken }),
  };
  const headers = {
    'Booking-Protocol': run.options.protocol,
    ...(plan.idempotencyKey ? { 'Idempotency-Key': plan.idempotencyKey } : {}),
    ...(plan.respondAsync ? { Prefer: 'respond-async' } : {}),
  };

  const post = async (): Promise<ReservationAnswer | TransportError> => {
    for (let attempt = 0; ; attempt++) {
      calls++;
      try {
        return await run.api.post<Reservation | PendingReservation | ErrorBody>('/api/reservations', body, plan.customer.token, headers);
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        if (!plan.idempotencyKey || attempt >= RESEND_ATTEMPTS) return error;
      }
    }
  };

  let final: Final;
  const answer = await post();
  if (answer instanceof TransportError) {
    final = { outcome: 'failed', status: 0, errorCode: answer.code };
  } else if (answer.status === 202 || (answer.status === 201 && reservationIn(answer)?.status === 'held')) {
    const reservationId = reservationIn(answer)?.id ?? '';
    let settled: ReservationAnswer = answer;
    if (answer.status === 202) {
      answeredPending = true;
      const followed = await follow(run, reservationId, plan.customer.token, plan.holdThenPay ? ['pending'] : ['pending', 'held']);
      calls += followed.calls;
      settled = followed.answer;
    }
    if (plan.holdThenPay && reservationIn(settled)?.status === 'held') {
      holdMs = run.now() - start;
      const paid = await pay(run, reservationId, plan);
      calls += paid.calls;
      settled = paid.answer;
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
    httpCalls: calls,
    ...(answeredPending ? { answeredPending } : {}),
    ...(holdMs !== undefined ? { holdMs } : {}),
    ...(plan.idempotencyKey ? { idempotencyKey: plan.idempotencyKey } : {}),
    ...(plan.sameRequest ? { sameRequest: plan.sameRequest } : {}),
  });
  if (record.outcome === 'confirmed' && record.reservationId) {
    run.ledger.confirm(record.reservationId, plan.event.id, final.seatIds ?? plan.seatIds ?? [], record.seats, plan.customer.index, end);
  }
  if (final.errorCode === 'pending_timeout' || (final.errorCode === 'client_timeout' && record.reservationId)) run.unresolved.push(record);
  return { record, takenSeats: final.takenSeats ?? [] };
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

/** Polls GET /api/reservations/:id while its status is one of `waitWhile`, bounded by --pending-timeout. */
export async function follow(
  run: RunContext,
  reservationId: string,
  token: string,
  waitWhile: readonly string[],
  timeoutMs = run.options.pendingTimeoutMs,
): Promise<{ answer: ReservationAnswer; calls: number }> {
  const deadline = run.now() + timeoutMs;
  let calls = 0;
  let waitMs = 100;
  let last: ReservationAnswer = { status: 202, body: { id: reservationId, status: 'pending', workflowId: reservationWorkflowId(reservationId) } };
  while (run.now() < deadline) {
    await delay(waitMs);
    waitMs = Math.min(waitMs * 1.5, 1000);
    calls++;
    try {
      const answer = await run.api.get<Reservation | ErrorBody>(`/api/reservations/${reservationId}`, token);
      const reservation = reservationIn(answer);
      if (answer.status !== 200 || !reservation) {
        // 404 while the workflow has not written anything yet is possible only for an instant; keep asking.
        if (answer.status >= 500 || answer.status === 404) continue;
        return { answer, calls };
      }
      last = { status: 202, body: answer.body };
      if (!waitWhile.includes(reservation.status ?? 'pending')) return { answer: { status: 200, body: answer.body }, calls };
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
    }
  }
  return { answer: last, calls };
}

/** POST /pay; when its answer is lost, the reservation is followed until it ends. */
async function pay(run: RunContext, reservationId: string, plan: BookingPlan): Promise<{ answer: ReservationAnswer; calls: number }> {
  try {
    const answer = await run.api.post<Reservation | ErrorBody>(`/api/reservations/${reservationId}/pay`, { paymentToken: plan.paymentToken }, plan.customer.token);
    return { answer, calls: 1 };
  } catch (error) {
    if (!(error instanceof TransportError)) throw error;
    const followed = await follow(run, reservationId, plan.customer.token, ['pending', 'held']);
    return { answer: followed.answer, calls: followed.calls + 1 };
  }
}

/** POST /api/reservations/:id/cancel for a confirmed booking; the ledger and the seat views get the seats back. */
export async function cancel(run: RunContext, booking: { reservationId: string; eventId: string; seats: number }, customer: Customer): Promise<RequestRecord> {
  const start = run.now();
  let status = 0;
  let errorCode: string | undefined;
  try {
    const answer = await run.api.post<Cancellation | ErrorBody>(`/api/reservations/${booking.reservationId}/cancel`, {}, customer.token);
    status = answer.status;
    if (answer.status !== 200 || isErrorBody(answer.body) || answer.body.status !== 'cancelled') errorCode = errorCodeOf(answer);
  } catch (error) {
    if (!(error instanceof TransportError)) throw error;
    errorCode = error.code;
  }
  const end = run.now();
  if (!errorCode) {
    const released = run.ledger.cancel(booking.reservationId, end);
    if (released) for (const view of run.viewsOf(released.eventId)) view.release(released.seatIds);
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
    httpCalls: 1,
  });
}

export const newIdempotencyKey = (): string => `load-${randomUUID()}`;
