import { ApplicationFailure } from '@temporalio/common';
import type postgres from 'postgres';
import type { DecisionOutcome } from '../../db/schema/coordinator.js';
import { Failure, failureTypeOf, isReservationEnding, reasonOf } from '../../lib/failures.js';
import { chargeKeyOf, type ReservationRequest, type Ticket } from '../../lib/reservations.js';
import type { PreparedSale, SeatSaleParticipant } from './booking-participant.js';
import { createDecisions } from './decisions.js';
import { preparedIdOf, transactionIdOf, type Participant } from './ids.js';
import type { Liveness } from './liveness.js';
import type { ChargeParticipant } from './payments-participant.js';
import { createRecovery } from './recovery.js';
import type { TicketParticipant } from './ticketing-participant.js';

export interface TwoPhaseBooking {
  seatIds: string[];
  tickets: Ticket[];
  transactionId: string;
}

/** Fault injection for tests and the fault experiments: runs between the protocol's steps. */
export interface CoordinatorHooks {
  /** After every participant prepared, before the decision is logged. */
  afterPrepare?(transactionId: string): Promise<void>;
  /** After the decision is logged, before any participant is told. */
  afterDecision?(transactionId: string, outcome: DecisionOutcome): Promise<void>;
}

export interface CoordinatorDeps {
  /** The decision log (coordinator schema), through the coordinator role. */
  log: postgres.Sql;
  /** This coordinator's proof of life; see startLiveness. */
  liveness: Liveness;
  /**
   * Each participant's store, through its own role (only it may finish what it prepared), for
   * phase 2 and recovery: pools apart from the participants' phase-1 work.
   */
  stores: Record<Participant, postgres.Sql>;
  booking: SeatSaleParticipant;
  payments: ChargeParticipant;
  ticketing: TicketParticipant;
  hooks?: CoordinatorHooks;
}

/** The transaction was decided "abort" by someone else (recovery) before this coordinator could commit it. */
export class TransactionAborted extends Error {
  override name = 'TransactionAborted';
}

/** Postgres answers PREPARE TRANSACTION so while max_prepared_transactions is 0. */
const isPreparedTransactionsDisabled = (error: unknown): boolean => error instanceof Error && /prepared transactions are disabled/i.test(error.message);

export function createCoordinator(deps: CoordinatorDeps) {
  const decisions = createDecisions(deps);
  const { decide, complete } = decisions;

  /** Earlier attempts of this reservation: adopt one that committed, fence off and undo the rest. */
  async function settleEarlierAttempts(reservationId: string, attempt: number): Promise<string | undefined> {
    if (attempt <= 1) return undefined;
    // An earlier attempt may still be running (its activity timed out, its process did not die):
    // an "abort" logged now makes its commit impossible.
    for (let earlier = 1; earlier < attempt; earlier++) {
      const transactionId = transactionIdOf(reservationId, earlier);
      const outcome = await decide(transactionId, reservationId, 'abort', 'recovery');
      await complete(transactionId, outcome);
      if (outcome === 'commit') return transactionId;
    }
    return undefined;
  }

  /**
   * Books the reservation atomically across the three stores, or not at all. Throws the business
   * failure (non-retryable) when the seats, the card or the event say no; throws a retryable error
   * when the transaction had to be aborted for any other reason (a retry starts a new attempt).
   */
  async function book(request: ReservationRequest, attempt: number): Promise<TwoPhaseBooking> {
    const committedEarlier = await settleEarlierAttempts(request.reservationId, attempt);
    if (committedEarlier) return { ...(await bookedBy(request)), transactionId: committedEarlier };

    await deps.liveness.ready;
    const transactionId = transactionIdOf(request.reservationId, attempt);
    const gid = (participant: Participant) => preparedIdOf(transactionId, deps.liveness.id, participant);
    let sale: PreparedSale | undefined;
    let tickets: Ticket[];
    try {
      // Phase 1. Seats first: no card is charged for seats someone else has.
      sale = await deps.booking.prepare(request, gid('booking'));
      const seatIds = sale.seatIds;
      const [charge, issued] = await Promise.allSettled([
        deps.payments.prepare(
          { reservationId: request.reservationId, idempotencyKey: chargeKeyOf(request.reservationId), amountCents: request.amountCents, currency: request.currency, paymentToken: request.paymentToken ?? '' },
          gid('payments'),
        ),
        deps.ticketing.prepare({ reservationId: request.reservationId, eventId: request.eventId, seatIds }, gid('ticketing')),
      ]);
      if (charge.status === 'rejected') throw charge.reason;
      if (issued.status === 'rejected') throw issued.reason;
      tickets = issued.value;
    } catch (error) {
      // Nothing was decided: abort, so that whatever did prepare is rolled back everywhere.
      await decide(transactionId, request.reservationId, 'abort', 'coordinator');
      await complete(transactionId, 'abort', sale ? { lockedAt: sale.lockedAt } : {});
      const type = error instanceof ApplicationFailure && error.nonRetryable ? failureTypeOf(error.type) : undefined;
      if (isReservationEnding(type)) await deps.booking.recordFailure(request, reasonOf(type));
      if (isPreparedTransactionsDisabled(error)) {
        throw ApplicationFailure.create({ type: Failure.TwoPhaseCommitUnavailable, message: 'Postgres has max_prepared_transactions = 0: two-phase commit cannot run (see README)', nonRetryable: true });
      }
      throw error;
    }

    // A crash here leaves three prepared transactions and no decision: recovery rolls them back.
    await deps.hooks?.afterPrepare?.(transactionId);
    // Phase 2: the decision is durable before anyone is told.
    const outcome = await decide(transactionId, request.reservationId, 'commit', 'coordinator');
    await deps.hooks?.afterDecision?.(transactionId, outcome);
    await complete(transactionId, outcome, { lockedAt: sale.lockedAt });
    if (outcome !== 'commit') throw new TransactionAborted(`Transaction ${transactionId} was aborted by recovery before it could commit`);
    await deps.booking.announce(request.eventId);
    return { seatIds: sale.seatIds, tickets, transactionId };
  }

  /** What an earlier, committed attempt booked: read back from the stores. */
  async function bookedBy(request: ReservationRequest): Promise<Omit<TwoPhaseBooking, 'transactionId'>> {
    const seats = await deps.stores.booking<{ seat_id: string }[]>`SELECT seat_id FROM booking.seats WHERE reservation_id = ${request.reservationId} ORDER BY position`;
    const tickets = await deps.stores.ticketing<Ticket[]>`SELECT code, seat_id AS seat FROM ticketing.tickets WHERE reservation_id = ${request.reservationId} ORDER BY seat_id`;
    return { seatIds: seats.map((row) => row.seat_id), tickets };
  }

  return { book, recover: createRecovery(deps, decisions), liveness: deps.liveness };
}

export type Coordinator = ReturnType<typeof createCoordinator>;
