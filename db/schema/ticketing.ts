import { index, pgSchema, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';

/** Issued tickets: written only by the ticketing activities. */
export const ticketing = pgSchema('ticketing');

export const ticketStatuses = ['valid', 'void', 'used'] as const;
export type TicketStatus = (typeof ticketStatuses)[number];
export const ticketStatus = ticketing.enum('ticket_status', ticketStatuses);

export const tickets = ticketing.table(
  'tickets',
  {
    /** Unguessable: 128 random bits. */
    code: text('code').primaryKey(),
    reservationId: uuid('reservation_id').notNull(),
    eventId: uuid('event_id').notNull(),
    /** The seat ("C-7") or general-admission unit ("GA-123") this ticket admits. */
    seatId: text('seat_id').notNull(),
    status: ticketStatus('status').notNull().default('valid'),
    issuedAt: timestamp('issued_at', { withTimezone: true }).notNull().defaultNow(),
    voidedAt: timestamp('voided_at', { withTimezone: true }),
    checkedInAt: timestamp('checked_in_at', { withTimezone: true }),
  },
  (t) => [unique('tickets_one_per_seat').on(t.reservationId, t.seatId), index('tickets_event_idx').on(t.eventId)],
);
