import { z } from 'zod';
import { reservationStatuses } from '../lib/reservations.js';
import { seatStatuses } from '../lib/seating.js';
import { notificationTypes } from '../lib/notifications.js';
import { queueStates } from '../lib/waiting-room.js';

/**
 * Postgres NOTIFY channels and their payloads: the booking activities wake the projection, the
 * projection announces applied changes, every API process relays them to its sockets. One module,
 * imported by each side, so the writer and the readers cannot drift apart.
 */

/** Outbox rows were written; the payload (an event id) is only a hint. */
export const OUTBOX_CHANNEL = 'booking_outbox';
/** The read model's seats of one event changed. */
export const SEAT_CHANNEL = 'readmodel_seats';
/** A reservation's status changed in the read model. */
export const RESERVATION_CHANNEL = 'readmodel_reservations';

/** NOTIFY payloads must stay under 8000 bytes: the projection splits larger seat changes. */
export const MAX_CHANGES_PER_SEAT_MESSAGE = 150;

export const seatMessage = z.object({
  eventId: z.string(),
  /** +1 per message per event: a reader that sees a gap resynchronizes. */
  version: z.number().int(),
  changes: z.array(z.object({ id: z.string(), status: z.enum(seatStatuses) })),
  held: z.number().int(),
  sold: z.number().int(),
});
export type SeatMessage = z.infer<typeof seatMessage>;

export const reservationMessage = z.object({ id: z.string(), eventId: z.string(), customerId: z.string(), status: z.enum(reservationStatuses) });
export type ReservationMessage = z.infer<typeof reservationMessage>;

/** A notification was stored for a user (reminders, event changes, reservation changes). */
export const NOTIFICATION_CHANNEL = 'notify_notifications';

export const notificationMessage = z.object({
  id: z.string(),
  userId: z.string(),
  type: z.enum(notificationTypes),
  eventId: z.string().nullable(),
  reservationId: z.string().nullable(),
  /** Bounded by the writers (db/notifications.ts) so that a payload stays far under 8000 bytes. */
  message: z.string(),
  /** An `offer`'s expiry: the socket also gets `{ type: "offer", eventId, reservationId, expiresAt }`. */
  expiresAt: z.string().optional(),
  createdAt: z.string(),
});
export type NotificationMessage = z.infer<typeof notificationMessage>;

/**
 * The waiting room: an event's queue changed (the draw, admissions, lapses, sold out, closed). Every
 * API process relays it to the queue's sockets as one broadcast (api/live/queue-rooms.ts).
 */
export const QUEUE_CHANNEL = 'waitroom_queues';

export const queueChangeMessage = z.object({
  eventId: z.string(),
  version: z.number().int(),
  state: z.enum(queueStates),
  admittedThrough: z.number().int(),
  total: z.number().int(),
  admitPerMinute: z.number(),
  opensAt: z.string(),
});
export type QueueChangeMessage = z.infer<typeof queueChangeMessage>;
