import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type postgres from 'postgres';
import { Failure } from '../lib/failures.js';
import type { CancellationRules, Ticket } from '../lib/reservations.js';
import type { TicketStatus } from '../db/schema/ticketing.js';

/** 128 random bits, URL-safe: a code cannot be guessed from another. */
export const newTicketCode = (): string => randomBytes(16).toString('base64url');

const voidValid = (sql: postgres.Sql | postgres.TransactionSql, reservationId: string) => sql`
  UPDATE ticketing.tickets SET status = 'void', voided_at = now()
  WHERE reservation_id = ${reservationId} AND status = 'valid' RETURNING code`;

const notCancellable = (message: string) => ApplicationFailure.create({ type: Failure.NotCancellable, message, nonRetryable: true });

/** Ticketing activities: the ticketing schema only, through the ticketing role. */
export function createTicketActivities(sql: postgres.Sql) {
  return {
    /** One ticket per seat or unit; a retry returns the tickets already issued. One statement, so atomic without a transaction. */
    async issueTickets(input: { reservationId: string; eventId: string; seatIds: string[] }): Promise<Ticket[]> {
      // The second SELECT reads the snapshot before this statement's inserts: the tickets an earlier
      // attempt issued, which are exactly the seats whose insert conflicted here.
      const rows = await sql<{ code: string; seat_id: string }[]>`
        WITH issued AS (
          INSERT INTO ticketing.tickets (code, reservation_id, event_id, seat_id)
          SELECT code, ${input.reservationId}, ${input.eventId}, seat FROM unnest(${input.seatIds.map(() => newTicketCode())}::text[], ${input.seatIds}::text[]) AS t(code, seat)
          ON CONFLICT ON CONSTRAINT tickets_one_per_seat DO NOTHING
          RETURNING code, seat_id
        )
        SELECT code, seat_id FROM issued
        UNION ALL
        SELECT code, seat_id FROM ticketing.tickets WHERE reservation_id = ${input.reservationId} AND status <> 'void'
        ORDER BY seat_id`;
      return rows.map((row) => ({ code: row.code, seat: row.seat_id }));
    },

    /**
     * Compensation of issueTickets: voids every valid ticket of the reservation. Safe when none.
     * With `rules` (a customer's cancellation) it is also where the cancel is decided: the
     * reservation's ticket rows are locked first, so a concurrent check-in either committed before
     * (a ticket reads `used`: refused, nothing voided) or waits and then finds its ticket void.
     * Past `rules.until` valid tickets are not voided either; tickets already void (a retry after
     * the void committed) let the cancellation carry on to its refund.
     */
    async voidTickets(input: { reservationId: string; rules?: CancellationRules }): Promise<number> {
      if (!input.rules) return (await voidValid(sql, input.reservationId)).length;
      const rules = input.rules;
      return sql.begin(async (tx) => {
        const rows = await tx<{ status: TicketStatus; late: boolean }[]>`
          SELECT status, coalesce(now() > ${rules.until ?? null}::timestamptz, false) AS late
          FROM ticketing.tickets WHERE reservation_id = ${input.reservationId} ORDER BY code FOR UPDATE`;
        if (rows.some((row) => row.status === 'used')) throw notCancellable('A ticket of this reservation was already checked in');
        if (rows.some((row) => row.status === 'valid' && row.late)) throw notCancellable('The cancellation cut-off before the event has passed');
        return (await voidValid(tx, input.reservationId)).length;
      });
    },

    /** Admits a valid ticket once. */
    async checkInTicket(input: { code: string }): Promise<{ code: string; checkedInAt: string }> {
      const [used] = await sql<{ checked_in_at: Date | string }[]>`
        UPDATE ticketing.tickets SET status = 'used', checked_in_at = now()
        WHERE code = ${input.code} AND status = 'valid' RETURNING checked_in_at`;
      if (used) return { code: input.code, checkedInAt: new Date(used.checked_in_at).toISOString() };
      const [current] = await sql<{ status: string }[]>`SELECT status FROM ticketing.tickets WHERE code = ${input.code}`;
      if (!current) throw ApplicationFailure.create({ type: Failure.TicketNotFound, message: 'No such ticket', nonRetryable: true });
      if (current.status === 'void') throw ApplicationFailure.create({ type: Failure.TicketVoid, message: 'This ticket is void', nonRetryable: true });
      throw ApplicationFailure.create({ type: Failure.AlreadyCheckedIn, message: 'This ticket was already checked in', nonRetryable: true });
    },
  };
}

export type TicketActivities = ReturnType<typeof createTicketActivities>;
