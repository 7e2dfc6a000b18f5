import type postgres from 'postgres';
import type { Ticket } from '../../lib/reservations.js';
import { newTicketCode } from '../tickets.js';

/** The ticketing store as a two-phase-commit participant (coordinator.ts). */
export function createTicketParticipant(sql: postgres.Sql) {
  return {
    /** Issues one ticket per seat in a transaction prepared as `gid`. */
    async prepare(input: { reservationId: string; eventId: string; seatIds: string[] }, gid: string): Promise<Ticket[]> {
      return sql.begin(async (tx) => {
        const issued = [...input.seatIds].sort().map((seat) => ({ code: newTicketCode(), seat }));
        for (const ticket of issued) {
          await tx`INSERT INTO ticketing.tickets (code, reservation_id, event_id, seat_id) VALUES (${ticket.code}, ${input.reservationId}, ${input.eventId}, ${ticket.seat})`;
        }
        await tx.prepare(gid);
        return issued;
      });
    },
  };
}

export type TicketParticipant = ReturnType<typeof createTicketParticipant>;
