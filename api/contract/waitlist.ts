import { z } from 'zod';

/** An offer of released seats: a held reservation of the customer's own, to pay before `expiresAt`. */
export const waitlistOffer = z.object({ reservationId: z.uuid(), expiresAt: z.iso.datetime({ offset: true }) });

/** The caller's place on an event's waiting list (docs/waiting-list.md). */
export const waitlistEntry = z.object({
  eventId: z.uuid(),
  quantity: z.int(),
  /** 1 for the first in line; null once the caller is no longer waiting but holds an offer. */
  position: z.int().nullable(),
  /** The caller's offer still waiting for payment, if any. */
  offer: waitlistOffer.nullable(),
});
export type WaitlistEntry = z.infer<typeof waitlistEntry>;

export const waitlistLeft = z.object({ eventId: z.uuid(), left: z.boolean() });
export type WaitlistLeft = z.infer<typeof waitlistLeft>;

/** The organizer's view of the line (in GET /api/events/:id/stats). */
export const waitlistLength = z.object({ waiting: z.int(), seats: z.int() });
