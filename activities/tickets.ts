import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type postgres from 'postgres';
import { Failure } from '../lib/failures.js';
import type { Ticket } from '../lib/reservations.js';

/** 128 random bits, URL-safe: a code cannot be guessed from another. */
export const newTicketCode = (): string => randomBytes(16).toString('base64url');

/** Ticketing activities: the ticketing schema only, through the ticketing role. */
export function createTicketActivities(sql: postgres.Sql) {
  return {
    /** One ticket per seat or unit; a retry returns the tickets already issued. */
    async issueTickets(input: { reservationId: string; eventId: string; seatIds: string[] }): Promise<Ticket[]> {
      return sql.begin(async (tx) => {
        for (const seat of input.seatIds) {
          await tx`
            INSERT INTO ticketing.tickets (code, reservation_id, event_id, seat_id)
            VALUES (${newTicketCode()}, ${input.reservationId}, ${input.eventId}, ${seat})
            ON CONFLICT ON CONSTRAINT tickets_one_per_seat DO NOTHING`;
        }
        const rows = await tx<{ code: string; seat_id: string }[]>`
          SELECT code, seat_id FROM ticketing.tickets WHERE reservation_id = ${input.reservationId} AND status <> 'void' ORDER BY seat_id`;
        return rows.map((row) => ({ code: row.code, seat: row.seat_id }));
      });
    },

    /** Compensation of issueTickets: voids every valid ticket of the reservation. Safe when none. */
    async voidTickets(input: { reservationId: string }): Promise<number> {
      const rows = await sql`
        UPDATE ticketing.tickets SET status = 'void', voided_at = now()
        WHERE reservation_id = ${input.reservationId} AND status = 'valid' RETURNING code`;
      return rows.length;
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
