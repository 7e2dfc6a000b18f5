import { z } from 'zod';
import { MAX_SEATS_PER_RESERVATION } from '../../../lib/seating.js';
import { singleLineText } from '../text.js';

/** Request schemas of the reservation routes; the TypeScript types come from them. */
export const paymentToken = singleLineText().min(1).max(200);

export const createReservationBody = z
  .strictObject({
    eventId: z.string().min(1),
    seats: z
      .array(z.string().min(1).max(10))
      .min(1)
      .max(MAX_SEATS_PER_RESERVATION)
      .refine((seats) => new Set(seats).size === seats.length, 'Each seat may be asked for once')
      .optional(),
    quantity: z.int().min(1).max(MAX_SEATS_PER_RESERVATION).optional(),
    /** Reserved seating: the house picks `quantity` seats (docs/best-available.md). */
    bestAvailable: z.boolean().optional(),
    paymentToken: paymentToken.optional(),
  })
  .refine((body) => (body.seats === undefined) !== (body.quantity === undefined), 'Send either seats (reserved seating) or quantity (general admission, or best available)')
  .refine((body) => body.bestAvailable !== true || body.quantity !== undefined, { message: 'bestAvailable picks the seats: send a quantity, not seats', path: ['bestAvailable'] });
export type CreateReservationBody = z.infer<typeof createReservationBody>;

export const createReservationHeaders = z.object({
  'idempotency-key': z.string().min(1, 'Idempotency-Key must be 1 to 200 characters').max(200, 'Idempotency-Key must be 1 to 200 characters').optional(),
  /** For experiments: the saga or two-phase commit; BOOKING_PROTOCOL when absent. */
  'booking-protocol': z.enum(['saga', '2pc'], 'Booking-Protocol must be saga or 2pc').optional(),
  prefer: z.string().optional(),
  /** The waiting room: an event with a queue is booked only with an admission of one's own (docs/waiting-room.md). */
  'admission-token': z.string().min(1, 'Admission-Token must be 1 to 2000 characters').max(2000, 'Admission-Token must be 1 to 2000 characters').optional(),
});

export const payBody = z.strictObject({ paymentToken });
export const idParams = z.object({ id: z.uuid({ message: 'Not a reservation id' }) });
export const listQuery = z.object({ eventId: z.uuid().optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) });
