import { z } from 'zod';
import { MAX_ADMIT_PER_MINUTE, MIN_ADMIT_PER_MINUTE, queuePlaceStatuses, queueStates } from '../../lib/waiting-room.js';

/**
 * The waiting room (issue 14, docs/waiting-room.md). An event with a queue admits buyers in queue
 * order; `POST /api/reservations` for it needs the `Admission-Token` header.
 */

/** The request header that carries an admission token on `POST /api/reservations`. */
export const ADMISSION_TOKEN_HEADER = 'Admission-Token';

/**
 * `queue` on `POST /api/events` and `PATCH /api/events/:id` (null on PATCH removes the queue).
 * `opensAt`: when admission starts (before `startsAt`, in the future). `admitPerMinute`: a fixed
 * rate; absent, the rate adapts to what the stack serves (docs/waiting-room.md, "The rate rule").
 */
export const queueSettings = z.strictObject({
  opensAt: z.iso.datetime({ offset: true }),
  admitPerMinute: z.int().min(MIN_ADMIT_PER_MINUTE).max(MAX_ADMIT_PER_MINUTE).optional(),
});
export type QueueSettings = z.infer<typeof queueSettings>;

/** An event's queue as the event answers carry it (`queue: null` for an event without one). */
export const eventQueue = z.object({
  opensAt: z.iso.datetime({ offset: true }),
  /** From when customers may join (QUEUE_JOIN_LEAD_SECONDS before `opensAt`). */
  joinOpensAt: z.iso.datetime({ offset: true }),
  /** The fixed rate, or null when the rate adapts. */
  admitPerMinute: z.int().nullable(),
});
export type EventQueue = z.infer<typeof eventQueue>;

/**
 * A buyer's place: the answer of `POST /api/events/:id/queue` (201 on the first join, 200 with the
 * same place after) and `GET /api/events/:id/queue/me`, and the body of the `queue_place` socket message.
 */
export const queuePlace = z.object({
  eventId: z.uuid(),
  status: z.enum(queuePlaceStatuses),
  /** The place in queue order (1, 2, 3, …), fixed for good; null before the opening's draw (`pre_queue`). */
  place: z.int().nullable(),
  /** While `waiting`: 1 is the next to be admitted (place − admittedThrough). Otherwise null. */
  position: z.int().nullable(),
  /** While `waiting`: seconds until admission at the current rate (an adaptive queue assumes one from the draw until bookings are measured); `pre_queue`: seconds until the opening's draw. */
  estimatedWaitSeconds: z.int().nullable(),
  joinedAt: z.iso.datetime({ offset: true }),
  opensAt: z.iso.datetime({ offset: true }),
  /** While `admitted`: send it as the Admission-Token header of POST /api/reservations. */
  admissionToken: z.string().optional(),
  /** While `admitted` (and after, for `booked` and `expired`): when the admission window ends. */
  admissionExpiresAt: z.iso.datetime({ offset: true }).optional(),
});
export type QueuePlace = z.infer<typeof queuePlace>;

/** `GET /api/events/:id/queue` (the event's organizer, admin): the queue at a glance. */
export const queueOverview = z.object({
  eventId: z.uuid(),
  state: z.enum(queueStates),
  opensAt: z.iso.datetime({ offset: true }),
  joinOpensAt: z.iso.datetime({ offset: true }),
  /** The fixed rate, or null when the rate adapts. */
  admitPerMinute: z.int().nullable(),
  /** The rate of the last minute's admissions (what estimates use). */
  currentAdmitPerMinute: z.number(),
  /** Adaptive rate only: how many admitted buyers may be booking at once now; null with a fixed rate. */
  admissionWindow: z.int().nullable(),
  /** Joined before the opening, order not drawn yet. */
  preQueue: z.int(),
  /** With a place, not admitted yet. */
  waiting: z.int(),
  /** Admitted, window still running, not booked yet. */
  admitted: z.int(),
  booked: z.int(),
  expired: z.int(),
  /** The highest place admitted so far. */
  admittedThrough: z.int(),
  /** Every place ever taken. */
  total: z.int(),
  /** Median and p99 latency (ms) of admitted buyers' bookings over the last minute; null without any. */
  bookingLatencyMs: z.object({ p50: z.number().nullable(), p99: z.number().nullable() }),
});
export type QueueOverview = z.infer<typeof queueOverview>;
