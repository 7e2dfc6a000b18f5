import { ActivityFailure, ApplicationFailure, condition, executeChild, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { Failure, reasonOf } from '../lib/failures.js';
import { cancellationWorkflowId, initialSnapshot, isTerminal, recordOfSnapshot, type ReservationRequest, type ReservationSnapshot, type ReservationStatus } from '../lib/reservations.js';
import { ReservationStatusKey, SeatIdsKey } from '../lib/search-attributes.js';
import { atomicBooking } from './activity-presets.js';
import { businessFailureOf } from './reservation.js';
import { cancelUpdate, payUpdate, settledUpdate, stateQuery } from './reservation-messages.js';
import { reservationCancellation } from './reservation-cancellation.js';

/**
 * One reservation, by two-phase commit instead of a saga (BOOKING_PROTOCOL=2pc): one activity
 * books seats, payment and tickets atomically across the three stores, so there are no steps to
 * undo and no held seats for readers to see. Same workflow id, messages and answers as the saga,
 * so the API, the Web UI and a later cancellation treat both alike. Pay-later holds are saga-only.
 */
const unavailable = (error: unknown): boolean => error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === Failure.TwoPhaseCommitUnavailable;

export async function twoPhaseReservation(request: ReservationRequest): Promise<ReservationSnapshot> {
  const state = initialSnapshot(request, workflowInfo().workflowId);
  setHandler(stateQuery, () => state);
  setHandler(settledUpdate, async () => {
    await condition(() => state.status !== 'pending');
    return state;
  });
  // Paid at once or not at all: there is never a hold to pay.
  setHandler(payUpdate, () => state, {
    validator: (_payment: { paymentToken: string }) => {
      throw ApplicationFailure.create({ type: Failure.NotPayable, message: `The reservation is ${state.status}: two-phase commit books and pays at once` });
    },
  });
  let cancellation: Promise<void> | undefined;
  // A cancel that arrives while the commit is in flight waits for it: a confirmed booking is then
  // undone like any other confirmed one.
  setHandler(cancelUpdate, async () => {
    await condition(() => isTerminal(state.status));
    cancellation ??= cancelConfirmed();
    await cancellation;
    return { status: state.status, refundedCents: state.refundedCents };
  });

  function setStatus(status: ReservationStatus): void {
    state.status = status;
    upsertSearchAttributes([{ key: ReservationStatusKey, value: status }]);
  }

  async function cancelConfirmed(): Promise<void> {
    if (state.status !== 'confirmed') return;
    const result = await executeChild(reservationCancellation, { workflowId: cancellationWorkflowId(request.reservationId), args: [recordOfSnapshot(state)] });
    state.refundedCents = result.refundedCents;
    setStatus('cancelled');
  }

  try {
    const booked = await atomicBooking.bookAtomically(request);
    state.seats = booked.seatIds;
    state.tickets = booked.tickets;
    // Seats the seat-lock chose (general admission's units, best available) are known only now; a
    // request that named its seats carried them from the start, so its histories are unchanged.
    if (request.seating === 'general' || request.bestAvailable === true) upsertSearchAttributes([{ key: SeatIdsKey, value: booked.seatIds }]);
    setStatus('confirmed');
  } catch (error) {
    const failure = businessFailureOf(error);
    if (failure?.type === Failure.SeatsUnavailable) state.unavailableSeats = failure.seats;
    state.failureReason = reasonOf(failure?.type ?? (unavailable(error) ? Failure.TwoPhaseCommitUnavailable : undefined));
    setStatus('failed');
  }
  // Let a cancel that arrived meanwhile finish before the workflow closes.
  if (cancellation) await cancellation;
  return state;
}
