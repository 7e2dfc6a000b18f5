import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import type { DecisionOutcome } from '../db/schema/coordinator.js';
import { Failure, failureTypeOf, isReservationEnding, reasonOf } from '../lib/failures.js';
import { chargeKeyOf, type ReservationRequest, type Ticket } from '../lib/reservations.js';
import type { ChargeParticipant } from './payments.js';
import type { PreparedSale, SeatSaleParticipant } from './seats.js';
import type { TicketParticipant } from './tickets.js';

/**
 * Booking by two-phase commit, the alternative to the saga (docs/saga-vs-2pc.md): the booking,
 * payments and ticketing stores each do their part in a Postgres transaction that is PREPAREd, and
 * the coordinator commits all three, or rolls all three back, after writing its decision durably.
 * Readers never see a seat held but unpaid; the price is that the seat rows stay locked until the
 * decision, and a coordinator that dies in between leaves them locked until recovery.
 */

export type Participant = 'booking' | 'payments' | 'ticketing';
export const participants: readonly Participant[] = ['booking', 'payments', 'ticketing'];

/** A transaction's id: one per reservation and attempt, so a retried attempt never reuses one. */
export const transactionIdOf = (reservationId: string, attempt: number): string => `boxoffice:${reservationId}:${attempt}`;
/**
 * The participant's prepared transaction, as pg_prepared_xacts names it: it also names the
 * coordinator that prepared it, so recovery can tell an in-doubt transaction from a slow one.
 */
export const preparedIdOf = (transactionId: string, coordinatorId: string, participant: Participant): string => `${transactionId}:${coordinatorId}:${participant}`;
const PREPARED_PATTERN = /^(boxoffice:([0-9a-f-]{36}):\d+):([0-9a-f-]{36}):(booking|payments|ticketing)$/;

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

/**
 * A coordinator is alive while it holds a session advisory lock keyed by its id on a connection of
 * its own: a process that dies loses its connection and with it the lock. Recovery leaves alone
 * the transactions of every coordinator whose lock is still held, however slow they are, and
 * resolves those of dead ones. (A coordinator cut off from Postgres but still running is judged
 * dead; the decision log keeps that safe: its late commit finds recovery's "abort".)
 */
export interface Liveness {
  id: string;
  /** Resolves once the lock is held; `book` waits for it. */
  ready: Promise<void>;
  /** Takes the lock again if the connection was replaced (a Postgres restart). */
  renew(): Promise<void>;
  close(): Promise<void>;
}

const livenessKey = (coordinatorId: string) => `boxoffice-coordinator:${coordinatorId}`;

export function startLiveness(url: string): Liveness {
  const id = randomUUID();
  // One connection that is never recycled: its session holds the lock.
  const session = postgres(url, { max: 1, max_lifetime: 0, idle_timeout: 0, onnotice: () => {}, connection: { application_name: 'boxoffice-coordinator' } });
  const take = async () => {
    await session`
      SELECT pg_advisory_lock(hashtextextended(${livenessKey(id)}, 0))
      WHERE NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted)`;
  };
  const ready = take();
  ready.catch(() => {});
  return { id, ready, renew: take, close: () => session.end({ timeout: 5 }) };
}

/** Whether the coordinator `id` still holds its liveness lock (asked from another session). */
async function isAlive(log: postgres.Sql, id: string): Promise<boolean> {
  const [row] = await log.begin(async (tx) => tx<{ free: boolean }[]>`SELECT pg_try_advisory_xact_lock(hashtextextended(${livenessKey(id)}, 0)) AS free`);
  return !row?.free;
}

const isMissingPrepared = (error: unknown): boolean => (error as { code?: string } | undefined)?.code === '42704';
/** Postgres answers PREPARE TRANSACTION so while max_prepared_transactions is 0. */
const isPreparedTransactionsDisabled = (error: unknown): boolean => error instanceof Error && /prepared transactions are disabled/i.test(error.message);

const quote = (gid: string): string => `'${gid.replaceAll("'", "''")}'`;

export function createCoordinator(deps: CoordinatorDeps) {
  /**
   * Logs the decision unless one is logged already, and returns the one that stands. Recovery and
   * a late coordinator race on this insert; the first decision wins and is never changed.
   */
  async function decide(transactionId: string, reservationId: string, outcome: DecisionOutcome, decidedBy: 'coordinator' | 'recovery'): Promise<DecisionOutcome> {
    await deps.log`
      INSERT INTO coordinator.decisions (transaction_id, reservation_id, outcome, decided_by)
      VALUES (${transactionId}, ${reservationId}, ${outcome}, ${decidedBy})
      ON CONFLICT (transaction_id) DO NOTHING`;
    const [row] = await deps.log<{ outcome: DecisionOutcome }[]>`SELECT outcome FROM coordinator.decisions WHERE transaction_id = ${transactionId}`;
    if (!row) throw new Error(`decision for ${transactionId} vanished`);
    return row.outcome;
  }

  /** The participant's prepared transactions of `transactionId`, by whichever coordinator. */
  async function preparedBy(participant: Participant, transactionId: string): Promise<string[]> {
    const rows = await deps.stores[participant]<{ gid: string }[]>`
      SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND owner = current_user AND starts_with(gid, ${`${transactionId}:`})`;
    return rows.map((row) => row.gid).filter((gid) => PREPARED_PATTERN.exec(gid)?.[4] === participant);
  }

  /**
   * Applies the decision at every participant; idempotent (a finished one is no longer prepared).
   * The coordinator that prepared them names them; anyone else looks them up.
   */
  async function complete(transactionId: string, outcome: DecisionOutcome, own?: { lockedAt?: number }): Promise<void> {
    const verb = outcome === 'commit' ? 'COMMIT PREPARED' : 'ROLLBACK PREPARED';
    let lockHeldMs: number | undefined;
    // Booking first: its seat rows are what other bookings queue behind.
    for (const participant of participants) {
      const gids = own ? [preparedIdOf(transactionId, deps.liveness.id, participant)] : await preparedBy(participant, transactionId);
      for (const gid of gids) {
        try {
          await deps.stores[participant].unsafe(`${verb} ${quote(gid)}`);
        } catch (error) {
          if (!isMissingPrepared(error)) throw error;
        }
      }
      if (participant === 'booking' && own?.lockedAt !== undefined) lockHeldMs = Date.now() - own.lockedAt;
    }
    await deps.log`
      UPDATE coordinator.decisions SET completed_at = now(), lock_held_ms = coalesce(${lockHeldMs ?? null}::int, lock_held_ms)
      WHERE transaction_id = ${transactionId} AND completed_at IS NULL`;
  }

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

  /**
   * Resolves in-doubt transactions: every participant's transaction prepared more than `graceMs`
   * ago by a coordinator that is no longer alive is committed if its decision was "commit" and
   * rolled back otherwise (an "abort" is logged first, so that coordinator, should it come back,
   * can no longer commit it). Decisions logged but not carried out everywhere are carried out.
   * Safe to run anywhere, any time, by several workers at once.
   */
  async function recover(graceMs: number): Promise<{ committed: string[]; rolledBack: string[] }> {
    const inDoubt = new Map<string, { reservationId: string; coordinators: Set<string> }>();
    for (const participant of participants) {
      const rows = await deps.stores[participant]<{ gid: string }[]>`
        SELECT gid FROM pg_prepared_xacts
        WHERE database = current_database() AND owner = current_user AND prepared < now() - ${graceMs} * interval '1 millisecond'`;
      for (const { gid } of rows) {
        const match = PREPARED_PATTERN.exec(gid);
        if (!match?.[1] || !match[2] || !match[3] || match[4] !== participant) continue;
        const entry = inDoubt.get(match[1]) ?? { reservationId: match[2], coordinators: new Set<string>() };
        entry.coordinators.add(match[3]);
        inDoubt.set(match[1], entry);
      }
    }
    const alive = new Map<string, boolean>();
    for (const [transactionId, entry] of inDoubt) {
      for (const id of entry.coordinators) if (!alive.has(id)) alive.set(id, await isAlive(deps.log, id));
      if ([...entry.coordinators].some((id) => alive.get(id))) inDoubt.delete(transactionId);
    }
    // A decision logged but not carried out everywhere (its coordinator died during phase 2).
    const unfinished = await deps.log<{ transaction_id: string; reservation_id: string }[]>`
      SELECT transaction_id, reservation_id FROM coordinator.decisions
      WHERE completed_at IS NULL AND decided_at < now() - ${graceMs} * interval '1 millisecond'`;
    for (const row of unfinished) inDoubt.set(row.transaction_id, { reservationId: row.reservation_id, coordinators: new Set() });

    const committed: string[] = [];
    const rolledBack: string[] = [];
    for (const [transactionId, { reservationId }] of inDoubt) {
      const outcome = await decide(transactionId, reservationId, 'abort', 'recovery');
      await complete(transactionId, outcome);
      (outcome === 'commit' ? committed : rolledBack).push(transactionId);
    }
    return { committed, rolledBack };
  }

  return { book, recover, liveness: deps.liveness };
}

/** The Temporal activity: one attempt of the atomic booking per activity attempt. */
export function createTwoPhaseActivities(coordinator: Coordinator) {
  return {
    /** Books seats, payment and tickets in one two-phase commit across the three stores. */
    async bookAtomically(request: ReservationRequest): Promise<TwoPhaseBooking> {
      const context = Context.current();
      // Heartbeats tell Temporal within seconds that this coordinator died, even while it waits
      // for seat locks; the retry is a new attempt that settles this one first.
      const beat = setInterval(() => context.heartbeat(), 1000);
      try {
        return await coordinator.book(request, context.info.attempt);
      } finally {
        clearInterval(beat);
      }
    },
  };
}

export type TwoPhaseActivities = ReturnType<typeof createTwoPhaseActivities>;

export type Coordinator = ReturnType<typeof createCoordinator>;
