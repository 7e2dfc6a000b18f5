import type postgres from 'postgres';
import { closedStatuses, isClosed, type ReservationStatus } from '../lib/reservations.js';

/**
 * The promises Boxoffice makes, checked across every store with owner connections: no seat held or
 * sold twice or by a dead reservation, every confirmed reservation charged exactly once with one
 * valid ticket per seat, nothing charged or ticketed for any other. Booking, payments and ticketing
 * may live in separate databases, so the cross-store rules compare rows here rather than join.
 * Used after tests, by the load script and by `npm run verify`.
 */
export interface InvariantOptions {
  /** Only these events (default: all). */
  eventIds?: string[];
  /** Also require that nothing is still in flight: no pending or held reservation, no held seat. */
  settled?: boolean;
  /** Also require the read model to equal the booking schema (the projection must have caught up). */
  readModel?: boolean;
}

export interface Violation {
  rule: string;
  detail: string;
}

/** Owner connections to each store; the same one may serve several. */
export interface InvariantStores {
  shared: postgres.Sql;
  booking: postgres.Sql;
  payments: postgres.Sql;
  ticketing: postgres.Sql;
}

type Row = Record<string, unknown>;
const MAX_DETAILS = 20;

function report(violations: Violation[], rule: string, rows: Row[]): void {
  for (const row of rows.slice(0, MAX_DETAILS)) violations.push({ rule, detail: JSON.stringify(row) });
  if (rows.length > MAX_DETAILS) violations.push({ rule, detail: `... and ${rows.length - MAX_DETAILS} more` });
}

/** `column` is one of the events, or true when every event is in scope. */
const scopeTo = (events: string[] | null) => (sql: postgres.Sql, column: string) => (events ? sql`${sql.unsafe(column)} = ANY(${events}::uuid[])` : sql`true`);

export async function checkInvariants(stores: InvariantStores, options: InvariantOptions = {}): Promise<Violation[]> {
  const { booking, payments, ticketing } = stores;
  const events = options.eventIds ?? null;
  const inScope = scopeTo(events);
  const violations: Violation[] = [];

  report(
    violations,
    'a seat is held or sold for a reservation that is over',
    await booking`
      SELECT s.event_id, s.seat_id, s.status, r.id, r.status AS reservation_status
      FROM booking.seats s LEFT JOIN booking.reservations r ON r.id = s.reservation_id
      WHERE s.status <> 'available' AND ${inScope(booking, 's.event_id')}
        AND (r.id IS NULL OR r.status = ANY(${[...closedStatuses]}::booking.reservation_status[]) OR (s.status = 'sold' AND r.status <> 'confirmed'))`,
  );
  report(
    violations,
    'a confirmed reservation does not hold exactly its seats as sold',
    await booking`
      SELECT r.id, r.quantity, count(s.seat_id) FILTER (WHERE s.status = 'sold') AS sold
      FROM booking.reservations r LEFT JOIN booking.seats s ON s.reservation_id = r.id
      WHERE r.status = 'confirmed' AND ${inScope(booking, 'r.event_id')}
      GROUP BY r.id, r.quantity HAVING count(s.seat_id) FILTER (WHERE s.status = 'sold') <> r.quantity`,
  );

  report(
    violations,
    'a waiting-list offer is not a reservation of its customer, for its event and quantity',
    await booking`
      SELECT w.id, w.event_id, w.customer_id, w.quantity, w.reservation_id, r.customer_id AS reservation_customer, r.event_id AS reservation_event, r.quantity AS reservation_quantity
      FROM booking.waitlist w LEFT JOIN booking.reservations r ON r.id = w.reservation_id
      WHERE w.status = 'offered' AND ${inScope(booking, 'w.event_id')}
        AND (r.id IS NULL OR r.customer_id <> w.customer_id OR r.event_id <> w.event_id OR r.quantity <> w.quantity)`,
  );

  const reservations = await booking<{ id: string; status: ReservationStatus; amount_cents: number; quantity: number }[]>`
    SELECT id, status, amount_cents, quantity FROM booking.reservations WHERE ${inScope(booking, 'event_id')}`;
  const money = new Map(
    (
      await payments<{ reservation_id: string; captured: number; charges: number; refunded: number }[]>`
        SELECT c.reservation_id, c.captured::int, c.charges::int, coalesce(f.refunded, 0)::int AS refunded
        FROM (SELECT reservation_id, sum(amount_cents) AS captured, count(*) AS charges FROM payments.charges WHERE status = 'captured' GROUP BY reservation_id) c
        LEFT JOIN (SELECT reservation_id, sum(amount_cents) AS refunded FROM payments.refunds GROUP BY reservation_id) f ON f.reservation_id = c.reservation_id`
    ).map((row) => [row.reservation_id, row]),
  );
  const ticketCounts = new Map(
    (
      await ticketing<{ reservation_id: string; issued: number; valid: number }[]>`
        SELECT reservation_id, count(*) FILTER (WHERE status IN ('valid', 'used'))::int AS issued, count(*) FILTER (WHERE status = 'valid')::int AS valid
        FROM ticketing.tickets WHERE ${inScope(ticketing, 'event_id')} GROUP BY reservation_id`
    ).map((row) => [row.reservation_id, row]),
  );

  const wrongCharge: Row[] = [];
  const wrongTickets: Row[] = [];
  const keptCharge: Row[] = [];
  const keptTicket: Row[] = [];
  for (const reservation of reservations) {
    const paid = money.get(reservation.id) ?? { captured: 0, charges: 0, refunded: 0 };
    const issued = ticketCounts.get(reservation.id) ?? { issued: 0, valid: 0 };
    if (reservation.status === 'confirmed') {
      if (paid.charges !== 1 || paid.captured - paid.refunded !== reservation.amount_cents) wrongCharge.push({ id: reservation.id, amount_cents: reservation.amount_cents, ...paid });
      if (issued.issued !== reservation.quantity) wrongTickets.push({ id: reservation.id, quantity: reservation.quantity, tickets: issued.issued });
    } else if (isClosed(reservation.status)) {
      if (paid.captured - paid.refunded !== 0) keptCharge.push({ id: reservation.id, status: reservation.status, net: paid.captured - paid.refunded });
      if (issued.valid > 0) keptTicket.push({ id: reservation.id, status: reservation.status, valid: issued.valid });
    }
  }
  report(violations, 'a confirmed reservation is not charged exactly its amount, once', wrongCharge);
  report(violations, 'a confirmed reservation does not have one valid ticket per seat', wrongTickets);
  report(violations, 'a failed, expired or cancelled reservation kept a net charge', keptCharge);
  report(violations, 'a failed, expired or cancelled reservation kept a valid ticket', keptTicket);

  // Orphans: a net charge or a valid ticket whose reservation the booking store has never heard of.
  const netCharged = [...money.values()].filter((row) => row.captured - row.refunded !== 0).map((row) => row.reservation_id);
  const ticketed = [...ticketCounts.entries()].filter(([, row]) => row.valid > 0).map(([id]) => id);
  const candidates = [...new Set([...netCharged, ...ticketed])];
  const known = new Set(
    candidates.length === 0 ? [] : (await booking<{ id: string }[]>`SELECT id FROM booking.reservations WHERE id = ANY(${candidates}::uuid[])`).map((row) => row.id),
  );
  // A charge cannot be scoped by event: only unscoped checks report orphan charges.
  const orphans = [
    ...(events ? [] : netCharged.filter((id) => !known.has(id)).map((id) => ({ kind: 'charge', reservation_id: id }))),
    ...ticketed.filter((id) => !known.has(id)).map((id) => ({ kind: 'ticket', reservation_id: id })),
  ];
  report(violations, 'a charge or ticket exists for no reservation', orphans);

  if (options.settled) {
    report(
      violations,
      'a reservation is still pending or held',
      await booking`SELECT id, status FROM booking.reservations WHERE status IN ('pending', 'held') AND ${inScope(booking, 'event_id')}`,
    );
  }
  if (options.readModel) violations.push(...(await readModelViolations(stores, events)));
  return violations;
}

/** Where the read model differs from the booking store (none once the projection has caught up). */
export async function readModelViolations(stores: Pick<InvariantStores, 'booking' | 'shared'>, events: string[] | null): Promise<Violation[]> {
  const { booking, shared } = stores;
  const inScope = scopeTo(events);
  const violations: Violation[] = [];
  const truth = await booking<{ event_id: string; seat_id: string; status: string }[]>`
    SELECT event_id, seat_id, status::text FROM booking.seats WHERE status <> 'available' AND ${inScope(booking, 'event_id')}`;
  const projected = await shared<{ event_id: string; seat_id: string; status: string }[]>`
    SELECT event_id, seat_id, status::text FROM readmodel.seat_states WHERE ${inScope(shared, 'event_id')}`;
  const key = (row: { event_id: string; seat_id: string; status: string }) => `${row.event_id} ${row.seat_id} ${row.status}`;
  const truthKeys = new Set(truth.map(key));
  const projectedKeys = new Set(projected.map(key));
  report(violations, 'the read model’s seat states differ from the booking schema', [
    ...truth.filter((row) => !projectedKeys.has(key(row))).map((row) => ({ ...row, in: 'booking only' })),
    ...projected.filter((row) => !truthKeys.has(key(row))).map((row) => ({ ...row, in: 'read model only' })),
  ]);

  const counts = await booking<{ event_id: string; held: number; sold: number }[]>`
    SELECT event_id, count(*) FILTER (WHERE status = 'held')::int AS held, count(*) FILTER (WHERE status = 'sold')::int AS sold
    FROM booking.seats WHERE ${inScope(booking, 'event_id')} GROUP BY event_id`;
  const availability = new Map(
    (await shared<{ event_id: string; held: number; sold: number }[]>`SELECT event_id, held, sold FROM readmodel.event_availability WHERE ${inScope(shared, 'event_id')}`).map(
      (row) => [row.event_id, row],
    ),
  );
  report(
    violations,
    'the read model’s counts differ from the booking schema',
    counts
      .filter((row) => (availability.get(row.event_id)?.held ?? 0) !== row.held || (availability.get(row.event_id)?.sold ?? 0) !== row.sold)
      .map((row) => ({ ...row, read_held: availability.get(row.event_id)?.held ?? 0, read_sold: availability.get(row.event_id)?.sold ?? 0 })),
  );
  return violations;
}
