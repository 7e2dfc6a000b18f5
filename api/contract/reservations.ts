import { z } from 'zod';
import { reservationStatuses } from '../../lib/reservations.js';

export const reservationTicket = z.object({ code: z.string(), seat: z.string() });

/**
 * The contract's reservation object. Reserved seating names its `seats`; general admission its
 * `quantity` and the `units` assigned.
 */
export const reservation = z.object({
  id: z.uuid(),
  status: z.enum(reservationStatuses),
  eventId: z.uuid(),
  seats: z.array(z.string()).optional(),
  quantity: z.int().optional(),
  units: z.array(z.string()).optional(),
  amountCents: z.int(),
  currency: z.string(),
  refundedCents: z.int(),
  tickets: z.array(reservationTicket),
  failureReason: z.string().optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  workflowId: z.string(),
});
export type Reservation = z.infer<typeof reservation>;

/** 202: the saga has not answered within the wait limit; poll the Location. */
export const pendingReservation = z.object({ id: z.uuid(), status: z.literal('pending'), workflowId: z.string() });
export type PendingReservation = z.infer<typeof pendingReservation>;

export const reservationList = z.object({ reservations: z.array(reservation) });
export type ReservationList = z.infer<typeof reservationList>;

export const cancellation = z.object({ id: z.uuid(), status: z.enum(reservationStatuses), refundedCents: z.int() });
export type Cancellation = z.infer<typeof cancellation>;

/**
 * The details of a failed booking's error (409 seats_unavailable / sold_out / hold_limit_reached, 402, 502): the seats taken,
 * the cap reached (`limit`, what the customer already `held`, `per` event or customer), the reservation as it ended.
 */
export const reservationFailureDetails = z.object({
  seats: z.array(z.string()).optional(),
  limit: z.int().optional(),
  held: z.int().optional(),
  per: z.enum(['event', 'customer']).optional(),
  reservation: reservation.optional(),
});
export const reservationError = z.object({ error: z.string(), message: z.string(), details: reservationFailureDetails.optional() });
export type ReservationError = z.infer<typeof reservationError>;
