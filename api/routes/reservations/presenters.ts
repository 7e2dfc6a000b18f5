import type { reservations } from '../../../db/schema/booking.js';
import type { ReservationSnapshot, ReservationStatus, Ticket } from '../../../lib/reservations.js';
import type { Reservation } from '../../contract/index.js';

export type ReservationRow = typeof reservations.$inferSelect;
type SeatingType = 'reserved' | 'general';

/** What either source of a reservation (its booking row, or its workflow's state) says about it. */
interface ReservationView {
  id: string;
  status: ReservationStatus;
  eventId: string;
  seats: string[];
  seating: SeatingType;
  quantity: number;
  amountCents: number;
  currency: string;
  refundedCents: number;
  tickets: Ticket[];
  failureReason?: string | null | undefined;
  expiresAt?: string | null | undefined;
  workflowId: string;
}

/** The contract's reservation object (api/contract/reservations.ts). */
function present(view: ReservationView): Reservation {
  return {
    id: view.id,
    status: view.status,
    eventId: view.eventId,
    ...(view.seating === 'reserved' ? { seats: view.seats } : { quantity: view.quantity, units: view.seats }),
    amountCents: view.amountCents,
    currency: view.currency,
    refundedCents: view.refundedCents,
    tickets: view.tickets,
    ...(view.failureReason ? { failureReason: view.failureReason } : {}),
    ...(view.expiresAt ? { expiresAt: view.expiresAt } : {}),
    workflowId: view.workflowId,
  };
}

export const presentSnapshot = (snapshot: ReservationSnapshot): Reservation => present(snapshot);

export function presentRow(row: ReservationRow, seating: SeatingType, tickets: Ticket[]): Reservation {
  return present({
    id: row.id,
    status: row.status,
    eventId: row.eventId,
    seats: row.seatIds,
    seating,
    quantity: row.quantity,
    amountCents: row.amountCents,
    currency: row.currency,
    refundedCents: row.refundedCents,
    tickets,
    failureReason: row.failureReason,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    workflowId: row.workflowId,
  });
}
