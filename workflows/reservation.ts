import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { Failure, failureTypeOf, isReservationEnding, reasonOf } from '../lib/failures.js';
import { chargeKeyOf, initialSnapshot, isTerminal, type HoldLimitDetails, type ReservationRequest, type ReservationSnapshot, type ReservationStatus } from '../lib/reservations.js';
import { ReservationStatusKey, SeatIdsKey } from '../lib/search-attributes.js';
import { compensations, payments, seats, tickets } from './activity-presets.js';
import { cancelSignal, cancelUpdate, payUpdate, settledUpdate, stateQuery } from './reservation-messages.js';

type Ending = { status: 'failed' | 'expired' | 'cancelled'; failureReason?: string };

/**
 * One reservation, as a saga: lock the seats, take the payment, issue the tickets, confirm. When a
 * step fails, or the customer cancels, the steps already taken are undone in reverse order.
 */
export async function reservation(request: ReservationRequest): Promise<ReservationSnapshot> {
  const chargeKey = chargeKeyOf(request.reservationId);
  const state = initialSnapshot(request, workflowInfo().workflowId);
  let paymentToken = request.paymentToken;
  let cancelRequested = false;

  setHandler(stateQuery, () => state);
  setHandler(settledUpdate, async () => {
    await condition(() => state.status !== 'pending');
    return state;
  });
  setHandler(
    payUpdate,
    async (payment) => {
      paymentToken = payment.paymentToken;
      await condition(() => isTerminal(state.status));
      return state;
    },
    {
      validator: (_payment: { paymentToken: string }) => {
        if (state.status === 'expired') throw ApplicationFailure.create({ type: Failure.HoldExpired, message: 'The hold has expired' });
        // A hold may be paid from the moment it is asked for: its row can read "held" before the
        // workflow has seen the seat-lock's answer.
        const payable = state.status === 'held' || (state.status === 'pending' && request.paymentToken === undefined);
        if (!payable || paymentToken !== undefined || cancelRequested) {
          throw ApplicationFailure.create({ type: Failure.NotPayable, message: `The reservation is ${state.status}` });
        }
      },
    },
  );
  setHandler(cancelUpdate, async () => {
    cancelRequested = true;
    await condition(() => isTerminal(state.status));
    return { status: state.status, refundedCents: state.refundedCents };
  });
  setHandler(cancelSignal, () => {
    cancelRequested = true;
  });

  // Seats the seat-lock chose, not yet in the search attributes: written with the next status.
  let unlistedSeatIds: string[] | undefined;
  function setStatus(status: ReservationStatus): void {
    state.status = status;
    upsertSearchAttributes([{ key: ReservationStatusKey, value: status }, ...(unlistedSeatIds ? [{ key: SeatIdsKey, value: unlistedSeatIds }] : [])]);
    unlistedSeatIds = undefined;
  }

  // Once the seats are held, an ending other than confirmed undoes every later step, whether or not
  // this run of the code reached it: a step may have done its work and still report a failure (a
  // timeout after the commit), and a local activity's work survives a workflow task that failed or a
  // worker that died, while the retried task can take another path (a cancel signal now seen
  // first). Every compensation is idempotent and safe when its step never ran. A seat-lock that
  // fails on business grounds proves no later step ran: a hold made by an earlier attempt would
  // have been found again.
  let seatsHeld = false;
  async function compensate(ending: Ending): Promise<ReservationSnapshot> {
    state.failureReason = ending.failureReason;
    // Not cancellable: cancelling the workflow must not skip the undo steps.
    await CancellationScope.nonCancellable(async () => {
      if (seatsHeld) {
        await compensations.voidTickets({ reservationId: request.reservationId });
        state.refundedCents = await compensations.refundPayment({ reservationId: request.reservationId, chargeKey });
      }
      await compensations.releaseSeats({ request: withoutToken(request), status: ending.status, refundedCents: state.refundedCents, ...(ending.failureReason ? { failureReason: ending.failureReason } : {}) });
    });
    setStatus(ending.status);
    return state;
  }
  const cancelled = (): Promise<ReservationSnapshot> => compensate({ status: 'cancelled' });

  try {
    const hold = await seats.holdSeats(withoutToken(request, paymentToken));
    state.seats = hold.seatIds;
    seatsHeld = true;
    // Seats the seat-lock chose (general admission's units, best available) are known only now; a
    // request that named its seats carried them from the start, so its histories are unchanged.
    // Since seatIdsWithStatus, they go with the next status (held, or the end): each upsert is a
    // history event and a visibility write, and a booking that pays at once reaches its status in
    // the same workflow task. Workflows started before upsert them here.
    if (request.seating === 'general' || request.bestAvailable === true) {
      if (request.seatIdsWithStatus) unlistedSeatIds = hold.seatIds;
      else upsertSearchAttributes([{ key: SeatIdsKey, value: hold.seatIds }]);
    }

    if (request.paymentToken === undefined && paymentToken === undefined) {
      state.expiresAt = hold.expiresAt;
      setStatus('held');
      const decided = await condition(() => paymentToken !== undefined || cancelRequested, request.holdTtlMs);
      if (!decided) return await compensate({ status: 'expired' });
      state.expiresAt = undefined;
    }
    if (cancelRequested) return await cancelled();

    await payments.chargePayment({ reservationId: request.reservationId, idempotencyKey: chargeKey, amountCents: request.amountCents, currency: request.currency, paymentToken: paymentToken ?? '' });
    if (cancelRequested) return await cancelled();

    state.tickets = await tickets.issueTickets({ reservationId: request.reservationId, eventId: request.eventId, seatIds: state.seats });
    if (cancelRequested) return await cancelled();

    await seats.confirmSeats(withoutToken(request));
    setStatus('confirmed');
    // A cancellation that arrived during the last step is honoured before the workflow closes.
    if (cancelRequested) return await cancelled();
    return state;
  } catch (error) {
    if (isCancellation(error)) return await cancelled();
    const failure = businessFailureOf(error);
    if (failure?.type === Failure.SeatsUnavailable) state.unavailableSeats = failure.seats;
    if (failure?.type === Failure.HoldLimitReached) state.holdLimit = failure.holdLimit;
    return await compensate({ status: 'failed', failureReason: reasonOf(failure?.type) });
  }
}

/** Payment tokens stay in the workflow: they are not written to the booking schema. */
function withoutToken(request: ReservationRequest, paymentToken?: string): ReservationRequest {
  const { paymentToken: _omitted, ...rest } = request;
  return paymentToken === undefined ? rest : { ...rest, paymentToken };
}

/** The reservation-ending failure an activity reported, or undefined for any other error. */
export function businessFailureOf(error: unknown): { type: ReturnType<typeof failureTypeOf>; seats: string[]; holdLimit?: HoldLimitDetails } | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  const type = failureTypeOf(cause.type);
  if (!isReservationEnding(type)) return undefined;
  // SeatsUnavailable's details are the seats taken; HoldLimitReached's the cap it hit.
  if (type === Failure.HoldLimitReached) return { type, seats: [], holdLimit: cause.details?.[0] as HoldLimitDetails };
  return { type, seats: (cause.details?.[0] as string[] | undefined) ?? [] };
}
