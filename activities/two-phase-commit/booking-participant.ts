import { ApplicationFailure } from '@temporalio/common';
import type postgres from 'postgres';
import { OUTBOX_CHANNEL } from '../../db/channels.js';
import { Failure } from '../../lib/failures.js';
import type { ReservationRecord, ReservationRequest } from '../../lib/reservations.js';
import { appendOutbox, type SeatChange } from '../booking/outbox.js';
import { lockReservation, recordClaimFailure, recordReservation } from '../booking/reservation-records.js';
import { claimSeats, ensureInventory, eventNotOnSale, hasStarted, SeatsTaken } from '../booking/seat-claims.js';

/** What the booking participant of a two-phase commit prepared. */
export interface PreparedSale {
  seatIds: string[];
  /** When the seat rows were locked (epoch ms): they stay locked until COMMIT/ROLLBACK PREPARED. */
  lockedAt: number;
}

const isLockTimeout = (error: unknown): boolean => (error as { code?: string } | undefined)?.code === '55P03';

/**
 * The booking store as a two-phase-commit participant (coordinator.ts): the same
 * checks and rows as the saga's seat-lock and confirmation, with no intermediate state. The seats
 * go straight to sold inside a transaction that is prepared, not committed, and stay locked until
 * the coordinator's decision.
 */
export function createSeatSaleParticipant(sql: postgres.Sql, options: { lockTimeoutMs: number }) {
  return {
    /** Sells the seats in a transaction prepared as `gid`; a business failure prepares nothing. */
    async prepare(request: ReservationRequest, gid: string): Promise<PreparedSale> {
      try {
        return await sql.begin(async (tx) => {
          await tx.unsafe(`SET LOCAL lock_timeout = ${Math.trunc(options.lockTimeoutMs)}`);
          const current = await lockReservation(tx, request.reservationId);
          if (current !== undefined) {
            throw ApplicationFailure.create({ type: Failure.ReservationClosed, message: `Reservation is already ${current}`, nonRetryable: true });
          }
          await ensureInventory(tx, request);
          const [inventory] = await tx<{ closed: boolean }[]>`SELECT closed FROM booking.inventories WHERE event_id = ${request.eventId} FOR SHARE`;
          if (inventory?.closed || (await hasStarted(tx, request))) throw eventNotOnSale();
          // Best available by SKIP LOCKED rounds whatever BEST_AVAILABLE_CLAIM says: a prepared transaction
          // would hold an event lock until the coordinator's decision, the payment included.
          const { seatIds, lockWaitMs } = await claimSeats(tx, request, 'sold', 'skip-locked');
          const lockedAt = Date.now();
          await recordReservation(tx, request, { status: 'confirmed', seatIds }, false);
          await appendOutbox(tx, request.eventId, 'seats', { reservationId: request.reservationId, changes: seatIds.map((id): SeatChange => ({ id, status: 'sold' })), lockWaitMs }, false);
          await tx.prepare(gid);
          return { seatIds, lockedAt };
        });
      } catch (error) {
        if (error instanceof SeatsTaken) throw await recordClaimFailure(sql, request, error);
        if (isLockTimeout(error)) {
          const failure = ApplicationFailure.create({
            type: Failure.SeatsUnavailable,
            message: `Seats are locked by a booking that has not finished after ${options.lockTimeoutMs} ms`,
            nonRetryable: true,
            details: [request.seatIds],
          });
          throw await recordClaimFailure(sql, request, new SeatsTaken(failure, options.lockTimeoutMs));
        }
        throw error;
      }
    },

    /** A reservation that two-phase commit could not book, recorded as failed (a tombstone). */
    async recordFailure(request: ReservationRecord, failureReason: string): Promise<void> {
      await sql.begin(async (tx) => {
        await lockReservation(tx, request.reservationId);
        await recordReservation(tx, request, { status: 'failed', seatIds: request.seatIds, failureReason });
      });
    },

    /** Wakes the projection once a prepared sale is committed (a prepared transaction cannot NOTIFY). */
    async announce(eventId: string): Promise<void> {
      await sql`SELECT pg_notify(${OUTBOX_CHANNEL}, ${eventId})`;
    },
  };
}

export type SeatSaleParticipant = ReturnType<typeof createSeatSaleParticipant>;
