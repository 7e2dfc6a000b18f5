import { z } from 'zod';
import { notificationTypes } from '../../lib/notifications.js';

export const subscription = z.object({
  eventId: z.uuid(),
  subscribed: z.boolean(),
  /** When this API's REMINDER_OFFSETS_SECONDS would remind, for offsets still ahead (subscribed only). */
  remindersAt: z.array(z.iso.datetime({ offset: true })),
});
export type Subscription = z.infer<typeof subscription>;

export const notification = z.object({
  /** Grows with every notification: pass the last one's as `before` for the next page. */
  id: z.string().regex(/^\d+$/),
  type: z.enum(notificationTypes),
  eventId: z.uuid().optional(),
  reservationId: z.uuid().optional(),
  message: z.string(),
  /** An `offer`: until when the seats are held for you (pay the reservation before then). */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  createdAt: z.iso.datetime({ offset: true }),
});
export type NotificationView = z.infer<typeof notification>;

export const notificationPage = z.object({
  notifications: z.array(notification),
  /** The `before` of the next (older) page; null on the last page. */
  nextBefore: z.string().nullable(),
});
export type NotificationPage = z.infer<typeof notificationPage>;
