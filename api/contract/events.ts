import { z } from 'zod';
import { reservationStatuses } from '../../lib/reservations.js';
import { seatStatuses } from '../../lib/seating.js';
import { eventQueue } from './queue.js';

export const seating = z.discriminatedUnion('type', [
  z.object({ type: z.literal('reserved'), rows: z.int(), seatsPerRow: z.int() }),
  z.object({ type: z.literal('general'), capacity: z.int() }),
]);

export const availability = z.object({ total: z.int(), available: z.int(), held: z.int(), sold: z.int() });
export type Availability = z.infer<typeof availability>;

export const eventStatuses = ['on_sale', 'sold_out', 'cancelled'] as const;

export const event = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string(),
  startsAt: z.iso.datetime({ offset: true }),
  venue: z.string(),
  organizerId: z.uuid(),
  priceCents: z.int(),
  currency: z.string(),
  status: z.enum(eventStatuses),
  seating,
  availability,
  /** The waiting room (docs/waiting-room.md): null for an event without one. */
  queue: eventQueue.nullable(),
});
export type Event = z.infer<typeof event>;

export const eventList = z.object({ events: z.array(event) });
export type EventList = z.infer<typeof eventList>;

const seat = z.object({ id: z.string(), row: z.string(), number: z.int(), status: z.enum(seatStatuses) });

/** Reserved seating: every seat with its state. General admission: the counts. */
export const seatMap = z.union([
  z.object({ eventId: z.uuid(), version: z.int(), seats: z.array(seat) }),
  z.object({ eventId: z.uuid(), version: z.int(), capacity: z.int(), available: z.int(), held: z.int(), sold: z.int() }),
]);
export type SeatMap = z.infer<typeof seatMap>;

export const salesStats = z.object({
  eventId: z.uuid(),
  sold: z.int(),
  held: z.int(),
  available: z.int(),
  revenueCents: z.int(),
  refundedCents: z.int(),
  reservations: z.record(z.enum(reservationStatuses), z.int()),
  /** The waiting list: customers in line, and the seats they wait for (docs/waiting-list.md). */
  waitlist: z.object({ waiting: z.int(), seats: z.int() }),
});
export type SalesStats = z.infer<typeof salesStats>;

export const eventCancelling = z.object({ id: z.uuid(), status: z.literal('cancelling') });
export type EventCancelling = z.infer<typeof eventCancelling>;
