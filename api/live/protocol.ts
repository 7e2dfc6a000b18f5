import { z } from 'zod';
import type { SeatStatus } from '../../lib/seating.js';
import type { ReservationStatus } from '../../lib/reservations.js';
import type { NotificationView } from '../contract/notifications.js';

/**
 * The seat-map WebSocket protocol (docs/live-seat-map.md). Client messages are
 * validated here; server messages are the types below, serialized once per broadcast.
 */
export const LIVE_FEED_PATH = '/ws';

/** Close code for a `?token=` that does not verify (4000-4999 are free for applications). */
export const CLOSE_UNAUTHORIZED = 4401;

const eventId = z.string().min(1).max(100);

export const clientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribe'), eventId }),
  z.object({ type: z.literal('unsubscribe'), eventId }),
]);
export type ClientMessage = z.infer<typeof clientMessage>;

export interface SeatChange {
  id: string;
  status: SeatStatus;
}

export interface Counts {
  available: number;
  held: number;
  sold: number;
}

export type SnapshotMessage =
  | ({ type: 'snapshot'; eventId: string; version: number; seats: SeatChange[] } & Counts)
  | ({ type: 'snapshot'; eventId: string; version: number; capacity: number } & Counts);

export type SeatsMessage = { type: 'seats'; eventId: string; version: number; changes: SeatChange[] } & Counts;
export type AvailabilityMessage = { type: 'availability'; eventId: string; version: number } & Counts;

export interface ReservationUpdateMessage {
  type: 'reservation';
  id: string;
  status: ReservationStatus;
  eventId: string;
}

/** A notification just stored for this socket's user, as GET /api/me/notifications lists it. */
export interface NotificationPushMessage {
  type: 'notification';
  notification: NotificationView;
}

/** Released seats are held for this socket's user: pay the reservation before `expiresAt` (docs/waiting-list.md). */
export interface OfferMessage {
  type: 'offer';
  eventId: string;
  reservationId: string;
  expiresAt: string;
}

export type ErrorCode = 'bad_message' | 'event_not_found' | 'unauthorized' | 'too_many_subscriptions';

export interface ErrorMessage {
  type: 'error';
  error: ErrorCode;
  message: string;
  eventId?: string;
}

export interface UnsubscribedMessage {
  type: 'unsubscribed';
  eventId: string;
}

export type ServerMessage = SnapshotMessage | SeatsMessage | AvailabilityMessage | ReservationUpdateMessage | NotificationPushMessage | OfferMessage | ErrorMessage | UnsubscribedMessage;

/** Serialized once, then the same bytes go to every recipient (no per-socket encoding). */
export const encode = (message: ServerMessage): Buffer => Buffer.from(JSON.stringify(message));
