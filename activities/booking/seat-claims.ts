import { ApplicationFailure } from '@temporalio/common';
import type postgres from 'postgres';
import { pickBestAvailable, roomOf, seatIdsOf, type SeatBlock } from '../../lib/best-available.js';
import { Failure } from '../../lib/failures.js';
import type { ReservationRequest } from '../../lib/reservations.js';
import { allSeatIds, seatId } from '../../lib/seating.js';

type Tx = postgres.TransactionSql;

/** Creates the event's seat rows the first time anyone books it. */
export async function ensureInventory(tx: Tx, request: ReservationRequest): Promise<void> {
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
export type ClaimedStatus = 'held' | 'sold';

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
  // One statement: from the start to the end, then around from the first position. The LIMIT over
  // both pulls from the second range (and locks there) only when the first ran short.
  const claimed = await tx<{ seat_id: string }[]>`
    WITH onward AS (
      SELECT event_id, seat_id FROM booking.seats
      WHERE event_id = ${request.eventId} AND status = 'available' AND position >= ${start}
      ORDER BY position LIMIT ${request.quantity} FOR UPDATE SKIP LOCKED
    ), around AS (
      SELECT event_id, seat_id FROM booking.seats
      WHERE event_id = ${request.eventId} AND status = 'available' AND position < ${start}
      ORDER BY position LIMIT ${request.quantity} FOR UPDATE SKIP LOCKED
    ), picked AS (
      SELECT event_id, seat_id FROM onward UNION ALL SELECT event_id, seat_id FROM around LIMIT ${request.quantity}
    )
    UPDATE booking.seats SET status = ${as}, reservation_id = ${request.reservationId}, updated_at = now()
    WHERE (event_id, seat_id) IN (SELECT event_id, seat_id FROM picked)
    RETURNING seat_id`;
  return claimed.map((row) => row.seat_id);
}

/** How best available claims its pick: BEST_AVAILABLE_CLAIM in lib/config.ts. */
export type BestAvailableClaim = 'skip-locked' | 'event-lock';

/** Optimistic rounds of read, pick and claim before the step gives up and is retried by Temporal. */
const BEST_AVAILABLE_ROUNDS = 8;

/** A round of best available that cannot claim its pick; what the next round should know. */
class LostRound extends Error {
  constructor(
    /** Seats of the pick another transaction holds: count them as taken. */
    readonly lockedPicks: string[],
    /** Neighbours another transaction holds: wait for it, then read again. */
    readonly lockedNeighbours: string[],
    /** Seats counted as taken that turned out free. */
    readonly freed: string[],
  ) {
    super('Lost a round of best available');
  }
}

/** Every round lost to concurrent claims: retryable (the saga step's retry policy), never a business failure. */
export class BestAvailableContention extends Error {
  override name = 'BestAvailableContention';
}

/**
 * Only seats in flight elsewhere stand in the way: wait for those transactions to end, then let go
 * at once (rolling the savepoint back releases the row locks; releasing it would keep them). Every
 * blocking lock here is taken in seat-id order, as explicit claims take theirs, and a best-available
 * claim never blocks while it holds a seat: no cycle can form.
 */
async function waitForClaimsOn(tx: Tx, eventId: string, seatIds: string[]): Promise<void> {
  const done = new Error('rolled back on purpose');
  try {
    await tx.savepoint(async (sp) => {
      await sp`SELECT seat_id FROM booking.seats WHERE event_id = ${eventId} AND seat_id = ANY(${seatIds}::text[]) ORDER BY seat_id FOR UPDATE`;
      throw done;
    });
  } catch (error) {
    if (error !== done) throw error;
  }
}

/** The picked blocks and the two seats on each side of each: whether the pick strands a seat depends on no others. */
function neighbourhoodOf(blocks: readonly SeatBlock[], seatsPerRow: number): string[] {
  const ids = new Set<string>();
  for (const block of blocks) {
    for (let i = Math.max(0, block.start - 2); i <= Math.min(seatsPerRow - 1, block.start + block.length + 1); i++) ids.add(seatId(block.row, i + 1));
  }
  return [...ids];
}

/**
 * Best available, without a lock on the event: read what is taken, pick (lib/best-available.ts),
 * then, in a savepoint, lock the picked seats and their neighbours with FOR UPDATE SKIP LOCKED and
 * claim them if nothing there changed since the read. A round that finds a seat of its
 * neighbourhood locked or changed is rolled back (its row locks go with it) and the next round
 * picks again knowing more. So a claim strands exactly the seats its pick computed, two pickers
 * never deadlock, and disjoint picks commit side by side. Undefined: fewer than n seats are free.
 */
async function claimBestAvailable(tx: Tx, request: ReservationRequest, as: ClaimedStatus, claim: BestAvailableClaim): Promise<string[] | undefined> {
  // Held until the transaction ends: the best-available claims of one event then take turns.
  if (claim === 'event-lock') await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`best-available ${request.eventId}`}, 0))`;
  const seating = { rows: request.rows ?? 0, seatsPerRow: request.seatsPerRow ?? 0 };
  const lost = new Set<string>();
  for (let round = 1; round <= BEST_AVAILABLE_ROUNDS; round++) {
    const taken = new Set((await tx<{ seat_id: string }[]>`SELECT seat_id FROM booking.seats WHERE event_id = ${request.eventId} AND status <> 'available'`).map((row) => row.seat_id));
    if (request.capacity - taken.size < request.quantity) return undefined;
    const assumedTaken = new Set([...taken, ...lost]);
    const pick = pickBestAvailable(roomOf(seating, assumedTaken), request.quantity);
    if (!pick) {
      await waitForClaimsOn(tx, request.eventId, [...lost]);
      lost.clear();
      continue;
    }
    const seatIds = seatIdsOf(pick.blocks);
    const neighbourhood = neighbourhoodOf(pick.blocks, seating.seatsPerRow);
    try {
      return await tx.savepoint(async (sp) => {
        const rows = await sp<{ seat_id: string; status: string }[]>`
          SELECT seat_id, status FROM booking.seats
          WHERE event_id = ${request.eventId} AND seat_id = ANY(${neighbourhood}::text[])
          ORDER BY seat_id FOR UPDATE SKIP LOCKED`;
        const now = new Map(rows.map((row) => [row.seat_id, row.status]));
        const locked = neighbourhood.filter((id) => !now.has(id));
        const changed = rows.filter((row) => (row.status !== 'available') !== assumedTaken.has(row.seat_id) || (seatIds.includes(row.seat_id) && row.status !== 'available'));
        if (locked.length > 0 || changed.length > 0) {
          throw new LostRound(
            locked.filter((id) => seatIds.includes(id)),
            locked.filter((id) => !seatIds.includes(id)),
            changed.filter((row) => row.status === 'available').map((row) => row.seat_id),
          );
        }
        await sp`
          UPDATE booking.seats SET status = ${as}, reservation_id = ${request.reservationId}, updated_at = now()
          WHERE event_id = ${request.eventId} AND seat_id = ANY(${seatIds}::text[])`;
        return seatIds;
      });
    } catch (error) {
      if (!(error instanceof LostRound)) throw error;
      for (const id of error.lockedPicks) lost.add(id);
      for (const id of error.freed) lost.delete(id);
      if (error.lockedNeighbours.length > 0) await waitForClaimsOn(tx, request.eventId, error.lockedNeighbours);
    }
  }
  throw new BestAvailableContention(`Best available for ${request.quantity} lost ${BEST_AVAILABLE_ROUNDS} rounds in a row to concurrent claims`);
}

export class SeatsTaken extends Error {
  constructor(
    readonly failure: ApplicationFailure,
    /** How long the claim waited for row locks before it found the seats taken. */
    readonly lockWaitMs?: number,
  ) {
    super(failure.message);
  }
}

export const eventNotOnSale = () => new SeatsTaken(ApplicationFailure.create({ type: Failure.EventNotOnSale, message: 'The event is no longer on sale', nonRetryable: true }));

/** Bookings stop when the event starts, by the database's clock (the request says when; older requests do not). */
export async function hasStarted(tx: Tx, request: Pick<ReservationRequest, 'startsAt'>): Promise<boolean> {
  if (!request.startsAt) return false;
  const [row] = await tx<{ started: boolean }[]>`SELECT now() >= ${request.startsAt}::timestamptz AS started`;
  return row?.started ?? false;
}

/**
 * Claims exactly the requested seats (or quantity), all or nothing, or throws SeatsTaken. Reports
 * how long it took, waiting for other transactions' row locks included: the lock-wait figure of
 * docs/saga-vs-2pc.md, written to the outbox with the change.
 */
export async function claimSeats(tx: Tx, request: ReservationRequest, as: ClaimedStatus, bestAvailableClaim: BestAvailableClaim = 'skip-locked'): Promise<{ seatIds: string[]; lockWaitMs: number }> {
  const asked = Date.now();
  if (request.seating === 'reserved' && request.bestAvailable) {
    const claimed = await claimBestAvailable(tx, request, as, bestAvailableClaim);
    if (!claimed) {
      throw new SeatsTaken(ApplicationFailure.create({ type: Failure.SoldOut, message: `Fewer than ${request.quantity} seats left`, nonRetryable: true }), Date.now() - asked);
    }
    return { seatIds: claimed, lockWaitMs: Date.now() - asked };
  }
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
