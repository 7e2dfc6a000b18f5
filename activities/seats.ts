import { ApplicationFailure } from '@temporalio/common';
import type postgres from 'postgres';
import { OUTBOX_CHANNEL } from '../db/channels.js';
import { Failure, failureTypeOf, reasonOf } from '../lib/failures.js';
import { closedStatuses, isClosed, openStatuses, reservationWorkflowId, type ReservationRecord, type ReservationRequest, type ReservationStatus } from '../lib/reservations.js';
import { allSeatIds } from '../lib/seating.js';


export interface HoldResult {
  seatIds: string[];
  expiresAt?: string;
}

type Tx = postgres.TransactionSql;
type SeatChange = { id: string; status: 'available' | 'held' | 'sold' };

/**
 * Records a change for the projection. The NOTIFY only wakes it early; a transaction to be prepared
 * may not NOTIFY (Postgres refuses), so the two-phase path notifies after COMMIT PREPARED.
 */
async function appendOutbox(tx: Tx, eventId: string, kind: 'seats' | 'reservation', payload: Record<string, unknown>, notify = true): Promise<void> {
  await tx`INSERT INTO booking.outbox (event_id, kind, payload) VALUES (${eventId}, ${kind}, ${JSON.stringify(payload)}::jsonb)`;
  if (notify) await tx`SELECT pg_notify(${OUTBOX_CHANNEL}, ${eventId})`;
}

interface ReservationOutcome {
  status: ReservationStatus;
  seatIds: string[];
  expiresAt?: Date;
  failureReason?: string;
  refundedCents?: number;
  /** A failed seat claim: how long it waited for row locks (reported with the change). */
  lockWaitMs?: number;
}

/**
 * Inserts or moves the reservation row to `outcome`, and reports the change to the outbox. A terminal
 * row is never moved back: `released` rows are tombstones that a late holdSeats respects.
 */
async function recordReservation(tx: Tx, request: ReservationRecord, outcome: ReservationOutcome, notify = true): Promise<void> {
  const rows = await tx<{ customer_id: string }[]>`
    INSERT INTO booking.reservations AS r (id, event_id, customer_id, workflow_id, status, seat_ids, quantity, amount_cents, refunded_cents, currency, failure_reason, expires_at)
    VALUES (${request.reservationId}, ${request.eventId}, ${request.customerId}, ${reservationWorkflowId(request.reservationId)}, ${outcome.status},
            ${outcome.seatIds}, ${request.quantity}, ${request.amountCents}, ${outcome.refundedCents ?? 0}, ${request.currency},
            ${outcome.failureReason ?? null}, ${outcome.expiresAt?.toISOString() ?? null}::timestamptz)
    ON CONFLICT (id) DO UPDATE SET
      status = excluded.status,
      failure_reason = coalesce(r.failure_reason, excluded.failure_reason),
      refunded_cents = excluded.refunded_cents,
      expires_at = excluded.expires_at,
      updated_at = now()
    WHERE (r.status, r.refunded_cents) IS DISTINCT FROM (excluded.status, excluded.refunded_cents)
      AND r.status <> ALL(${[...closedStatuses]}::booking.reservation_status[])
    RETURNING customer_id`;
  if (rows.length > 0) {
    await appendOutbox(tx, request.eventId, 'reservation', {
      id: request.reservationId,
      customerId: request.customerId,
      status: outcome.status,
      amountCents: request.amountCents,
      refundedCents: outcome.refundedCents ?? 0,
      ...(outcome.failureReason ? { failureReason: outcome.failureReason } : {}),
      ...(outcome.lockWaitMs !== undefined ? { lockWaitMs: outcome.lockWaitMs } : {}),
    }, notify);
  }
}

/** Serializes every change of one reservation: a late hold can never overtake its own release. */
async function lockReservation(tx: Tx, reservationId: string): Promise<ReservationStatus | undefined> {
  await tx`SELECT pg_advisory_xact_lock(hashtextextended(${reservationId}, 0))`;
  const [row] = await tx<{ status: ReservationStatus }[]>`SELECT status FROM booking.reservations WHERE id = ${reservationId}`;
  return row?.status;
}

/** Creates the event's seat rows the first time anyone books it. */
async function ensureInventory(tx: Tx, request: ReservationRequest): Promise<void> {
  const created = await tx`
    INSERT INTO booking.inventories (event_id, capacity) VALUES (${request.eventId}, ${request.capacity})
    ON CONFLICT (event_id) DO NOTHING RETURNING event_id`;
  if (created.length === 0) return;
  if (request.seating === 'general') {
    await tx`
      INSERT INTO booking.seats (event_id, seat_id, position)
      SELECT ${request.eventId}, 'GA-' || n, n FROM generate_series(1, ${request.capacity}::int) AS n`;
  } else {
    const ids = allSeatIds({ type: 'reserved', rows: request.rows ?? 0, seatsPerRow: request.seatsPerRow ?? 0 });
    await tx`
      INSERT INTO booking.seats (event_id, seat_id, position)
      SELECT ${request.eventId}, id, ord FROM unnest(${ids}::text[]) WITH ORDINALITY AS t(id, ord)`;
  }
}

/** The status claimed seats take: held by the saga's first step, sold outright under two-phase commit. */
type ClaimedStatus = 'held' | 'sold';

async function claimReservedSeats(tx: Tx, request: ReservationRequest, as: ClaimedStatus = 'held'): Promise<{ claimed: string[]; taken: string[] }> {
  // Lock in one order (seat id) so two overlapping requests queue instead of deadlocking.
  const rows = await tx<{ seat_id: string; status: string }[]>`
    SELECT seat_id, status FROM booking.seats
    WHERE event_id = ${request.eventId} AND seat_id = ANY(${request.seatIds}::text[])
    ORDER BY seat_id FOR UPDATE`;
  const free = new Set(rows.filter((row) => row.status === 'available').map((row) => row.seat_id));
  const taken = request.seatIds.filter((id) => !free.has(id));
  if (taken.length > 0) return { claimed: [], taken };
  await tx`
    UPDATE booking.seats SET status = ${as}, reservation_id = ${request.reservationId}, updated_at = now()
    WHERE event_id = ${request.eventId} AND seat_id = ANY(${request.seatIds}::text[])`;
  return { claimed: request.seatIds, taken: [] };
}

async function claimGeneralAdmission(tx: Tx, request: ReservationRequest, as: ClaimedStatus = 'held'): Promise<string[]> {
  // Start at a random position: everyone racing for the lowest free unit is the slowest pattern.
  const start = 1 + Math.floor(Math.random() * request.capacity);
  const pick = (from: number, to: number, limit: number) => tx<{ seat_id: string }[]>`
    UPDATE booking.seats SET status = ${as}, reservation_id = ${request.reservationId}, updated_at = now()
    WHERE (event_id, seat_id) IN (
      SELECT event_id, seat_id FROM booking.seats
      WHERE event_id = ${request.eventId} AND status = 'available' AND position >= ${from} AND position < ${to}
      ORDER BY position LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING seat_id`;
  const first = await pick(start, request.capacity + 1, request.quantity);
  const rest = first.length < request.quantity ? await pick(1, start, request.quantity - first.length) : [];
  return [...first, ...rest].map((row) => row.seat_id);
}

class SeatsTaken extends Error {
  constructor(
    readonly failure: ApplicationFailure,
    /** How long the claim waited for row locks before it found the seats taken. */
    readonly lockWaitMs?: number,
  ) {
    super(failure.message);
  }
}

const eventNotOnSale = () => new SeatsTaken(ApplicationFailure.create({ type: Failure.EventNotOnSale, message: 'The event is no longer on sale', nonRetryable: true }));

/**
 * Claims exactly the requested seats (or quantity), all or nothing, or throws SeatsTaken. Reports
 * how long it took, waiting for other transactions' row locks included: the lock-wait figure of
 * docs/saga-vs-2pc.md, written to the outbox with the change.
 */
async function claimSeats(tx: Tx, request: ReservationRequest, as: ClaimedStatus): Promise<{ seatIds: string[]; lockWaitMs: number }> {
  const asked = Date.now();
  if (request.seating === 'reserved') {
    const result = await claimReservedSeats(tx, request, as);
    if (result.taken.length > 0) {
      throw new SeatsTaken(
        ApplicationFailure.create({ type: Failure.SeatsUnavailable, message: `Seats no longer available: ${result.taken.join(', ')}`, nonRetryable: true, details: [result.taken] }),
        Date.now() - asked,
      );
    }
    return { seatIds: result.claimed, lockWaitMs: Date.now() - asked };
  }
  const claimed = await claimGeneralAdmission(tx, request, as);
  if (claimed.length < request.quantity) {
    throw new SeatsTaken(ApplicationFailure.create({ type: Failure.SoldOut, message: `Fewer than ${request.quantity} tickets left`, nonRetryable: true }), Date.now() - asked);
  }
  return { seatIds: claimed, lockWaitMs: Date.now() - asked };
}

/** A reservation whose seats could not be claimed, recorded as failed (a tombstone); returns the failure to throw. */
async function recordClaimFailure(sql: postgres.Sql, request: ReservationRecord, taken: SeatsTaken): Promise<ApplicationFailure> {
  const reason = reasonOf(failureTypeOf(taken.failure.type));
  await sql.begin(async (tx) => {
    await lockReservation(tx, request.reservationId);
    await recordReservation(tx, request, { status: 'failed', seatIds: request.seatIds, failureReason: reason, ...(taken.lockWaitMs !== undefined ? { lockWaitMs: taken.lockWaitMs } : {}) });
  });
  return taken.failure;
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
