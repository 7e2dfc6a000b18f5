import { ApplicationFailure } from '@temporalio/common';
import type postgres from 'postgres';
import { Failure } from '../lib/failures.js';
import { isClosed, openStatuses, type ReservationRecord, type ReservationRequest, type ReservationStatus } from '../lib/reservations.js';
import type { SeatChange } from './booking/outbox.js';
import { lockReservation, lockReservationOnly, recordClaimFailure, recordReservation } from './booking/reservation-records.js';
import { enforceHoldCaps, type HoldCaps } from './booking/hold-caps.js';
import { inventoryClosed, lockReservationAndCustomer, readHoldState } from './booking/hold-state.js';
import { claimSeats, eventNotOnSale, SeatsTaken, type BestAvailableClaim } from './booking/seat-claims.js';
import { handOffToWaitlist, hasUnannouncedOffers } from './booking/waitlist-handoff.js';

export interface HoldResult {
  seatIds: string[];
  expiresAt?: string;
}

/** The caps when the worker is not told (lib/config.ts HOLD_MAX_* defaults). */
const defaultCaps: HoldCaps = { maxSeatsPerEvent: 10, maxOpenPerCustomer: 10 };

/** What the seat release needs to hand released seats to the waiting list (docs/waiting-list.md). */
export interface WaitlistHandOff {
  /** WAITLIST_OFFER_TTL_MS: how long an offer is held for its customer. */
  offerTtlMs: number;
  /** Wakes the event's waiting-list workflow, which starts the offers' sagas and tells their customers. */
  announce(eventId: string): Promise<void>;
}

/** Seat-lock activities: the booking schema only, through the booking role. */
export function createSeatActivities(sql: postgres.Sql, options: { holdCaps?: HoldCaps; bestAvailableClaim?: BestAvailableClaim; waitlist?: WaitlistHandOff } = {}) {
  const caps = options.holdCaps ?? defaultCaps;
  const { waitlist } = options;
  return {
    /**
     * Holds exactly the requested seats (or quantity) for the reservation, all or nothing. Idempotent:
     * a retry after a commit returns the seats already held. Fails with a non-retryable
     * SeatsUnavailable, SoldOut, EventNotOnSale (cancelled, or started) or HoldLimitReached, after
     * recording the reservation as failed.
     */
    async holdSeats(request: ReservationRequest): Promise<HoldResult> {
      const expiresAt = request.paymentToken ? undefined : new Date(Date.now() + request.holdTtlMs);
      try {
        return await sql.begin(async (tx) => {
          await lockReservationAndCustomer(tx, request.reservationId, request.customerId);
          const state = await readHoldState(tx, request);
          if (state.status && isClosed(state.status)) {
            throw ApplicationFailure.create({ type: Failure.ReservationClosed, message: `Reservation is already ${state.status}`, nonRetryable: true });
          }
          // Held already: a retry after the commit, or a waiting-list offer, whose expiry the hand-off set.
          if (state.already.length > 0) return { seatIds: state.already, ...(state.expiresAt ? { expiresAt: state.expiresAt } : {}) };
          if ((state.closed ?? (await inventoryClosed(tx, request.eventId))) || state.started) throw eventNotOnSale();
          const { seatIds: claimed, lockWaitMs } = await claimSeats(tx, request, 'held', options.bestAvailableClaim);
          enforceHoldCaps(request, state.open, caps);
          const seats = { changes: claimed.map((id): SeatChange => ({ id, status: 'held' })), lockWaitMs };
          await recordReservation(tx, request, { status: request.paymentToken ? 'pending' : 'held', seatIds: claimed, ...(expiresAt ? { expiresAt } : {}) }, true, seats);
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
        await lockReservationOnly(tx, request.reservationId);
        // Every seat of the reservation in position order, and which of them this statement sold (the
        // outer SELECT reads the snapshot before the UPDATE; the UPDATE does not move a seat's reservation).
        const seats = await tx<{ seat_id: string; sold: boolean }[]>`
          WITH sold AS (
            UPDATE booking.seats SET status = 'sold', updated_at = now()
            WHERE reservation_id = ${request.reservationId} AND status = 'held' RETURNING event_id, seat_id
          )
          SELECT s.seat_id, sold.seat_id IS NOT NULL AS sold
          FROM booking.seats s LEFT JOIN sold ON sold.event_id = s.event_id AND sold.seat_id = s.seat_id
          WHERE s.reservation_id = ${request.reservationId} ORDER BY s.position`;
        const changes = seats.filter((row) => row.sold).map((row): SeatChange => ({ id: row.seat_id, status: 'sold' }));
        await recordReservation(tx, request, { status: 'confirmed', seatIds: seats.map((row) => row.seat_id) }, true, { changes });
      });
    },

    /**
     * Compensation of holdSeats, and the end of every reservation that does not confirm: frees its
     * seats and records the final status (a tombstone if the hold never happened). Freed seats go to
     * the event's waiting list first, in the same transaction (booking/waitlist-handoff.ts); only
     * those no one in line fits become available. Idempotent.
     */
    async releaseSeats(input: { request: ReservationRecord; status: 'failed' | 'expired' | 'cancelled'; failureReason?: string; refundedCents: number }): Promise<void> {
      const { request } = input;
      // Whether to look for offers to announce after the commit: this attempt made some, or it freed
      // nothing (a retry whose first attempt committed, perhaps with offers). One query saved per release otherwise.
      let mayHaveOffers = false;
      await sql.begin(async (tx) => {
        await lockReservation(tx, request.reservationId);
        const freed = await tx<{ seat_id: string }[]>`
          UPDATE booking.seats SET status = 'available', reservation_id = NULL, updated_at = now()
          WHERE reservation_id = ${request.reservationId} RETURNING seat_id`;
        const offered = waitlist ? await handOffToWaitlist(tx, request, freed.map((row) => row.seat_id), waitlist.offerTtlMs) : [];
        mayHaveOffers = offered.length > 0 || freed.length === 0;
        const handedOff = new Set(offered.flatMap((offer) => offer.seatIds));
        const available = freed.filter((row) => !handedOff.has(row.seat_id));
        await recordReservation(
          tx,
          request,
          {
            status: input.status,
            seatIds: freed.length > 0 ? freed.map((row) => row.seat_id) : request.seatIds,
            refundedCents: input.refundedCents,
            ...(input.failureReason ? { failureReason: input.failureReason } : {}),
          },
          true,
          { changes: available.map((row): SeatChange => ({ id: row.seat_id, status: 'available' })) },
        );
      });
      // After the commit, and again on a retry of this step (the commit may have happened in an
      // attempt that did not report back): the offers' sagas start from the waiting-list workflow.
      if (waitlist && mayHaveOffers && (await hasUnannouncedOffers(sql, request.eventId))) await waitlist.announce(request.eventId);
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
