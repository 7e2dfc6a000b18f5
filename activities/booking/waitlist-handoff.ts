import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';
import { pickBestAvailable, roomOf, seatIdsOf } from '../../lib/best-available.js';
import type { ReservationRecord } from '../../lib/reservations.js';
import { allSeatIds } from '../../lib/seating.js';
import type { OfferTemplate } from '../../lib/waitlist.js';
import type { SeatChange } from './outbox.js';
import { lockReservation, recordReservation } from './reservation-records.js';

type Tx = postgres.TransactionSql;

/** Waiting entries read (and locked) per round while released seats are left to offer. */
const LINE_BATCH = 100;
/** Seats already on open sale that may join an offer (a waiter for 3 gets 2 released and 1 unsold). */
const UNSOLD_SEATS_CONSIDERED = 100;

interface LineEntry {
  id: string;
  place: string;
  customer_id: string;
  quantity: number;
  template: OfferTemplate;
}

/** An offer made by a release: a held reservation of a waiting customer's own. */
export interface MadeOffer {
  reservationId: string;
  customerId: string;
  seatIds: string[];
}

/**
 * Runs inside the seat release's transaction, after `freed` (the released reservation's seats) were
 * set available, while this transaction still holds their row locks: hands them, in line order, to
 * each waiting customer whose quantity fits, as a held reservation of their own
 * (docs/waiting-list.md). Nobody else can see the freed seats in between: they go from the old
 * holder to the new one in one commit. Seats no one in line fits stay available (the caller
 * announces only those as such). Nothing happens for a closed (cancelled) inventory or once the
 * event has started.
 *
 * Lock order: the released reservation's seats (the caller's UPDATE), the inventory (shared), the
 * waiting entries (in place order), seats on open sale with SKIP LOCKED (never waits). No one holding
 * waiting entries waits for a seat row, so no cycle can form with claims or other releases.
 */
export async function handOffToWaitlist(tx: Tx, released: Pick<ReservationRecord, 'eventId' | 'reservationId'>, freed: readonly string[], offerTtlMs: number): Promise<MadeOffer[]> {
  if (freed.length === 0) return [];
  const { eventId } = released;
  const [anyone] = await tx<{ id: string }[]>`SELECT id FROM booking.waitlist WHERE event_id = ${eventId} AND status = 'waiting' LIMIT 1`;
  if (!anyone) return [];
  // Shared: an event cancellation's closeInventory waits for this hand-off, then cancels its offers.
  const [inventory] = await tx<{ closed: boolean }[]>`SELECT closed FROM booking.inventories WHERE event_id = ${eventId} FOR SHARE`;
  if (!inventory || inventory.closed) return [];

  // Map order: freed seats (locked by the caller), then unsold ones nobody else is claiming.
  const freedInOrder = await tx<{ seat_id: string }[]>`
    SELECT seat_id FROM booking.seats WHERE event_id = ${eventId} AND seat_id = ANY(${[...freed]}::text[]) AND status = 'available' ORDER BY position`;
  const unsold = await tx<{ seat_id: string }[]>`
    SELECT seat_id FROM booking.seats
    WHERE event_id = ${eventId} AND status = 'available' AND seat_id <> ALL(${[...freed]}::text[])
    ORDER BY position LIMIT ${UNSOLD_SEATS_CONSIDERED} FOR UPDATE SKIP LOCKED`;
  const pool = [...freedInOrder, ...unsold].map((row) => row.seat_id);
  const offers: MadeOffer[] = [];
  let after = '0';
  while (pool.length > 0) {
    const line = await tx<LineEntry[]>`
      SELECT id, place::text, customer_id, quantity, template FROM booking.waitlist
      WHERE event_id = ${eventId} AND status = 'waiting' AND place > ${after}::bigint
        AND (template->>'startsAt' IS NULL OR (template->>'startsAt')::timestamptz > now())
      ORDER BY place LIMIT ${LINE_BATCH} FOR UPDATE`;
    for (const entry of line) {
      if (entry.quantity > pool.length) continue;
      const seatIds = chooseSeats(entry.template, pool, entry.quantity);
      for (const id of seatIds) pool.splice(pool.indexOf(id), 1);
      offers.push(await offer(tx, released, entry, seatIds, new Date(Date.now() + offerTtlMs)));
      if (pool.length === 0) break;
    }
    const last = line.at(-1);
    if (!last || line.length < LINE_BATCH) break;
    after = last.place;
  }
  return offers;
}

/** Reserved seating: the best seats of the pool for the party (lib/best-available.ts); general admission: the first units. */
function chooseSeats(template: OfferTemplate, pool: readonly string[], quantity: number): string[] {
  if (template.seating === 'reserved' && template.rows && template.seatsPerRow) {
    const seating = { rows: template.rows, seatsPerRow: template.seatsPerRow };
    const free = new Set(pool);
    const taken = allSeatIds({ type: 'reserved', ...seating }).filter((id) => !free.has(id));
    const pick = pickBestAvailable(roomOf(seating, taken), quantity);
    if (pick) return seatIdsOf(pick.blocks);
  }
  return pool.slice(0, quantity);
}

async function offer(tx: Tx, released: Pick<ReservationRecord, 'eventId' | 'reservationId'>, entry: LineEntry, seatIds: string[], expiresAt: Date): Promise<MadeOffer> {
  const reservationId = randomUUID();
  const record: ReservationRecord = {
    reservationId,
    eventId: released.eventId,
    customerId: entry.customer_id,
    seatIds,
    quantity: entry.quantity,
    amountCents: entry.template.amountCents,
    currency: entry.template.currency,
  };
  await lockReservation(tx, reservationId);
  const held = await tx`
    UPDATE booking.seats SET status = 'held', reservation_id = ${reservationId}, updated_at = now()
    WHERE event_id = ${released.eventId} AND seat_id = ANY(${seatIds}::text[]) AND status = 'available'`;
  // Every seat of the pool is locked by this transaction: anything else is a bug, not a race.
  if (held.count !== seatIds.length) throw new Error(`Waiting-list hand-off found ${held.count} of ${seatIds.length} seats free`);
  await recordReservation(tx, record, { status: 'held', seatIds, expiresAt }, true, { changes: seatIds.map((id): SeatChange => ({ id, status: 'held' })) });
  await tx`
    UPDATE booking.waitlist SET status = 'offered', reservation_id = ${reservationId}, released_by = ${released.reservationId},
      offer_expires_at = ${expiresAt.toISOString()}::timestamptz, updated_at = now()
    WHERE id = ${entry.id}`;
  return { reservationId, customerId: entry.customer_id, seatIds };
}

/** Whether a release made offers its customers have not been told of yet (a retried release asks again). */
export async function hasUnannouncedOffers(sql: postgres.Sql, eventId: string): Promise<boolean> {
  const [row] = await sql<{ id: string }[]>`SELECT id FROM booking.waitlist WHERE event_id = ${eventId} AND status = 'offered' AND NOT announced LIMIT 1`;
  return row !== undefined;
}
