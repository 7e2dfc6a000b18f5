import { ApplicationFailure } from '@temporalio/common';
import type postgres from 'postgres';
import { OUTBOX_CHANNEL } from '../db/channels.js';
import { Failure } from '../lib/failures.js';
import { isClosed, openStatuses, type ReservationRecord, type ReservationRequest, type ReservationStatus } from '../lib/reservations.js';
import { appendOutbox, type SeatChange } from './booking/outbox.js';
import { lockReservation, recordClaimFailure, recordReservation } from './booking/reservation-records.js';
import { claimSeats, ensureInventory, eventNotOnSale, SeatsTaken } from './booking/seat-claims.js';

export interface HoldResult {
  seatIds: string[];
  expiresAt?: string;
}

/** Seat-lock activities: the booking schema only, through the booking role. */
export function createSeatActivities(sql: postgres.Sql) {
  return {
    /**
     * Holds exactly the requested seats (or quantity) for the reservation, all or nothing. Idempotent:
     * a retry after a commit returns the seats already held. Fails with a non-retryable
     * SeatsUnavailable, SoldOut or EventNotOnSale, after recording the reservation as failed.
     */
    async holdSeats(request: ReservationRequest): Promise<HoldResult> {
      const expiresAt = request.paymentToken ? undefined : new Date(Date.now() + request.holdTtlMs);
      try {
        return await sql.begin(async (tx) => {
          const current = await lockReservation(tx, request.reservationId);
          if (current && isClosed(current)) {
            throw ApplicationFailure.create({ type: Failure.ReservationClosed, message: `Reservation is already ${current}`, nonRetryable: true });
          }
          await ensureInventory(tx, request);
          const [inventory] = await tx<{ closed: boolean }[]>`SELECT closed FROM booking.inventories WHERE event_id = ${request.eventId} FOR SHARE`;
          const already = await tx<{ seat_id: string }[]>`SELECT seat_id FROM booking.seats WHERE reservation_id = ${request.reservationId} ORDER BY position`;
          if (already.length > 0) return { seatIds: already.map((row) => row.seat_id) };
          if (inventory?.closed) throw eventNotOnSale();
          const { seatIds: claimed, lockWaitMs } = await claimSeats(tx, request, 'held');
          await recordReservation(tx, request, { status: request.paymentToken ? 'pending' : 'held', seatIds: claimed, ...(expiresAt ? { expiresAt } : {}) });
          await appendOutbox(tx, request.eventId, 'seats', { reservationId: request.reservationId, changes: claimed.map((id): SeatChange => ({ id, status: 'held' })), lockWaitMs });
          return { seatIds: claimed, ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}) };
        });
      } catch (error) {
        if (!(error instanceof SeatsTaken)) throw error;
        throw await recordClaimFailure(sql, request, error);
      }
    },

    /** Held seats become sold and the reservation confirmed. Idempotent. */
    async confirmSeats(request: ReservationRecord): Promise<void> {
      await sql.begin(async (tx) => {
        await lockReservation(tx, request.reservationId);
        const sold = await tx<{ seat_id: string }[]>`
          UPDATE booking.seats SET status = 'sold', updated_at = now()
          WHERE reservation_id = ${request.reservationId} AND status = 'held' RETURNING seat_id`;
        if (sold.length > 0) {
          await appendOutbox(tx, request.eventId, 'seats', { reservationId: request.reservationId, changes: sold.map((row): SeatChange => ({ id: row.seat_id, status: 'sold' })) });
        }
        const seatIds = (await tx<{ seat_id: string }[]>`SELECT seat_id FROM booking.seats WHERE reservation_id = ${request.reservationId} ORDER BY position`).map((row) => row.seat_id);
        await recordReservation(tx, request, { status: 'confirmed', seatIds });
      });
    },

    /**
     * Compensation of holdSeats, and the end of every reservation that does not confirm: frees its
     * seats and records the final status (a tombstone if the hold never happened). Idempotent.
     */
    async releaseSeats(input: { request: ReservationRecord; status: 'failed' | 'expired' | 'cancelled'; failureReason?: string; refundedCents: number }): Promise<void> {
      const { request } = input;
      await sql.begin(async (tx) => {
        await lockReservation(tx, request.reservationId);
        const freed = await tx<{ seat_id: string }[]>`
          UPDATE booking.seats SET status = 'available', reservation_id = NULL, updated_at = now()
          WHERE reservation_id = ${request.reservationId} RETURNING seat_id`;
        if (freed.length > 0) {
          await appendOutbox(tx, request.eventId, 'seats', { reservationId: request.reservationId, changes: freed.map((row): SeatChange => ({ id: row.seat_id, status: 'available' })) });
        }
        await recordReservation(tx, request, {
          status: input.status,
          seatIds: freed.length > 0 ? freed.map((row) => row.seat_id) : request.seatIds,
          refundedCents: input.refundedCents,
          ...(input.failureReason ? { failureReason: input.failureReason } : {}),
        });
      });
    },

    /** Stops new holds for a cancelled event. Idempotent. */
    async closeInventory(input: { eventId: string; capacity: number }): Promise<void> {
      await sql`
        INSERT INTO booking.inventories (event_id, capacity, closed) VALUES (${input.eventId}, ${input.capacity}, true)
        ON CONFLICT (event_id) DO UPDATE SET closed = true`;
    },

    /** A page of the event's reservations that are not over yet, in id order. */
    async liveReservations(input: { eventId: string; afterReservationId?: string; limit: number }): Promise<{ status: ReservationStatus; request: ReservationRecord }[]> {
      const rows = await sql<{ id: string; status: ReservationStatus; customer_id: string; seat_ids: string[]; quantity: number; amount_cents: number; currency: string }[]>`
        SELECT id, status, customer_id, seat_ids, quantity, amount_cents, currency FROM booking.reservations
        WHERE event_id = ${input.eventId} AND status = ANY(${[...openStatuses]}::booking.reservation_status[])
          AND id > ${input.afterReservationId ?? '00000000-0000-0000-0000-000000000000'}
        ORDER BY id LIMIT ${input.limit}`;
      return rows.map((row) => ({
        status: row.status,
        request: { reservationId: row.id, eventId: input.eventId, customerId: row.customer_id, seatIds: row.seat_ids, quantity: row.quantity, amountCents: row.amount_cents, currency: row.currency },
      }));
    },
  };
}

export type SeatActivities = ReturnType<typeof createSeatActivities>;

/** What the booking participant of a two-phase commit prepared. */
export interface PreparedSale {
  seatIds: string[];
  /** When the seat rows were locked (epoch ms): they stay locked until COMMIT/ROLLBACK PREPARED. */
  lockedAt: number;
}

const isLockTimeout = (error: unknown): boolean => (error as { code?: string } | undefined)?.code === '55P03';

/**
 * The booking store as a two-phase-commit participant (activities/two-phase-commit.ts): the same
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
          if (inventory?.closed) throw eventNotOnSale();
          const { seatIds, lockWaitMs } = await claimSeats(tx, request, 'sold');
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
