import { z } from 'zod';
import type { SeatStatus } from '../../lib/seating.js';
import type { ReservationStatus } from '../../lib/reservations.js';
import type { NotificationView } from '../contract/notifications.js';
import type { QueuePlace } from '../contract/queue.js';
import type { QueueState } from '../../lib/waiting-room.js';

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
  // The waiting room: the event's queue broadcasts, and (with a token) the user's own place.
  z.object({ type: z.literal('subscribe_queue'), eventId }),
  z.object({ type: z.literal('unsubscribe_queue'), eventId }),
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

/**
 * The waiting room's one broadcast per change of an event's queue (docs/waiting-room.md): the same
 * bytes go to every socket subscribed to the queue. A waiting client computes its own position
 * (`place − admittedThrough`, lib/waiting-room.ts positionOf) and estimated wait
 * (estimatedWaitSeconds(position, admitPerMinute)); no per-buyer message is sent for a move.
 * `version` grows with every change of the event's queue: an older or equal one is stale.
 */
export interface QueueMessage {
  type: 'queue';
  eventId: string;
  version: number;
  state: QueueState;
  /** The highest place admitted so far. */
  admittedThrough: number;
  /** Places taken so far (the last place in line). */
  total: number;
  /** The current admission rate per minute (what estimates use); 0 while nothing is admitted. */
  admitPerMinute: number;
  opensAt: string;
}

/**
 * To the user's own sockets only (subscribed to the event's queue): their place when it changes
 * status — admitted (with the admission token), booked, expired, sold out, closed — and once on subscribe.
 */
export type QueuePlaceMessage = { type: 'queue_place' } & QueuePlace;

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
  /** `queue` for the answer to `unsubscribe_queue`. */
  feed?: 'queue';
}

export type ServerMessage =
  | SnapshotMessage
  | SeatsMessage
  | AvailabilityMessage
  | ReservationUpdateMessage
  | NotificationPushMessage
  | OfferMessage
  | QueueMessage
  | QueuePlaceMessage
  | ErrorMessage
  | UnsubscribedMessage;

/** Serialized once, then the same bytes go to every recipient (no per-socket encoding). */
export const encode = (message: ServerMessage): Buffer => Buffer.from(JSON.stringify(message));
