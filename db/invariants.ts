import type postgres from 'postgres';

/**
 * The promises Boxoffice makes, checked across every schema with the owner connection:
 * no seat held or sold twice or by a dead reservation, every confirmed reservation charged exactly
 * once with one valid ticket per seat, nothing charged or ticketed for any other. Used after tests,
 * by the load script and by `npm run verify`.
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

type Check = { rule: string; query: (events: string[] | null) => postgres.PendingQuery<postgres.Row[]> };

export async function checkInvariants(sql: postgres.Sql, options: InvariantOptions = {}): Promise<Violation[]> {
  const events = options.eventIds ?? null;
  const inScope = (column: string) => (events ? sql`${sql.unsafe(column)} = ANY(${events}::uuid[])` : sql`true`);

  const checks: Check[] = [
    {
      rule: 'a seat is held or sold for a reservation that is over',
      query: () => sql`
        SELECT s.event_id, s.seat_id, s.status, r.id, r.status AS reservation_status
        FROM booking.seats s LEFT JOIN booking.reservations r ON r.id = s.reservation_id
        WHERE s.status <> 'available' AND ${inScope('s.event_id')}
          AND (r.id IS NULL OR r.status IN ('failed', 'expired', 'cancelled') OR (s.status = 'sold' AND r.status <> 'confirmed'))`,
    },
    {
      rule: 'a confirmed reservation does not hold exactly its seats as sold',
      query: () => sql`
        SELECT r.id, r.quantity, count(s.seat_id) FILTER (WHERE s.status = 'sold') AS sold
        FROM booking.reservations r LEFT JOIN booking.seats s ON s.reservation_id = r.id
        WHERE r.status = 'confirmed' AND ${inScope('r.event_id')}
        GROUP BY r.id, r.quantity HAVING count(s.seat_id) FILTER (WHERE s.status = 'sold') <> r.quantity`,
    },
    {
      rule: 'a confirmed reservation is not charged exactly its amount, once',
      query: () => sql`
        SELECT r.id, r.amount_cents, coalesce(c.captured, 0) AS captured, coalesce(c.charges, 0) AS charges, coalesce(f.refunded, 0) AS refunded
        FROM booking.reservations r
        LEFT JOIN (SELECT reservation_id, sum(amount_cents) AS captured, count(*) AS charges FROM payments.charges WHERE status = 'captured' GROUP BY reservation_id) c ON c.reservation_id = r.id
        LEFT JOIN (SELECT reservation_id, sum(amount_cents) AS refunded FROM payments.refunds GROUP BY reservation_id) f ON f.reservation_id = r.id
        WHERE r.status = 'confirmed' AND ${inScope('r.event_id')}
          AND (coalesce(c.charges, 0) <> 1 OR coalesce(c.captured, 0) - coalesce(f.refunded, 0) <> r.amount_cents)`,
    },
    {
      rule: 'a confirmed reservation does not have one valid ticket per seat',
      query: () => sql`
        SELECT r.id, r.quantity, count(t.code) AS tickets
        FROM booking.reservations r LEFT JOIN ticketing.tickets t ON t.reservation_id = r.id AND t.status IN ('valid', 'used')
        WHERE r.status = 'confirmed' AND ${inScope('r.event_id')}
        GROUP BY r.id, r.quantity HAVING count(t.code) <> r.quantity`,
    },
    {
      rule: 'a failed, expired or cancelled reservation kept a net charge',
      query: () => sql`
        SELECT r.id, r.status, coalesce(c.captured, 0) - coalesce(f.refunded, 0) AS net
        FROM booking.reservations r
        LEFT JOIN (SELECT reservation_id, sum(amount_cents) AS captured FROM payments.charges WHERE status = 'captured' GROUP BY reservation_id) c ON c.reservation_id = r.id
        LEFT JOIN (SELECT reservation_id, sum(amount_cents) AS refunded FROM payments.refunds GROUP BY reservation_id) f ON f.reservation_id = r.id
        WHERE r.status IN ('failed', 'expired', 'cancelled') AND ${inScope('r.event_id')}
          AND coalesce(c.captured, 0) - coalesce(f.refunded, 0) <> 0`,
    },
    {
      rule: 'a failed, expired or cancelled reservation kept a valid ticket',
      query: () => sql`
        SELECT r.id, r.status, t.code FROM booking.reservations r JOIN ticketing.tickets t ON t.reservation_id = r.id
        WHERE r.status IN ('failed', 'expired', 'cancelled') AND t.status = 'valid' AND ${inScope('r.event_id')}`,
    },
    {
      rule: 'a charge or ticket exists for no reservation',
      query: () => sql`
        SELECT 'charge' AS kind, c.reservation_id FROM payments.charges c LEFT JOIN booking.reservations r ON r.id = c.reservation_id
        WHERE c.status = 'captured' AND r.id IS NULL AND NOT EXISTS (SELECT 1 FROM payments.refunds f WHERE f.charge_key = c.idempotency_key)
        UNION ALL
        SELECT 'ticket', t.reservation_id FROM ticketing.tickets t LEFT JOIN booking.reservations r ON r.id = t.reservation_id
        WHERE t.status = 'valid' AND r.id IS NULL AND ${inScope('t.event_id')}`,
    },
  ];
  if (options.settled) {
    checks.push({
      rule: 'a reservation is still pending or held',
      query: () => sql`SELECT id, status FROM booking.reservations WHERE status IN ('pending', 'held') AND ${inScope('event_id')}`,
    });
  }
  if (options.readModel) {
    checks.push(
      {
        rule: 'the read model’s seat states differ from the booking schema',
        query: () => sql`
          (SELECT event_id, seat_id, status::text FROM booking.seats WHERE status <> 'available' AND ${inScope('event_id')}
           EXCEPT SELECT event_id, seat_id, status::text FROM readmodel.seat_states WHERE ${inScope('event_id')})
          UNION ALL
          (SELECT event_id, seat_id, status::text FROM readmodel.seat_states WHERE ${inScope('event_id')}
           EXCEPT SELECT event_id, seat_id, status::text FROM booking.seats WHERE status <> 'available' AND ${inScope('event_id')})`,
      },
      {
        rule: 'the read model’s counts differ from the booking schema',
        query: () => sql`
          SELECT s.event_id, s.held, s.sold, a.held AS read_held, a.sold AS read_sold FROM (
            SELECT event_id, count(*) FILTER (WHERE status = 'held') AS held, count(*) FILTER (WHERE status = 'sold') AS sold
            FROM booking.seats WHERE ${inScope('event_id')} GROUP BY event_id) s
          LEFT JOIN readmodel.event_availability a ON a.event_id = s.event_id
          WHERE coalesce(a.held, 0) <> s.held OR coalesce(a.sold, 0) <> s.sold`,
      },
    );
  }

  const violations: Violation[] = [];
  for (const check of checks) {
    const rows = await check.query(events);
    for (const row of rows.slice(0, 20)) violations.push({ rule: check.rule, detail: JSON.stringify(row) });
    if (rows.length > 20) violations.push({ rule: check.rule, detail: `... and ${rows.length - 20} more` });
  }
  return violations;
}
