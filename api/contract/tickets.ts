import { z } from 'zod';
import { ticketStatuses } from '../../db/schema/ticketing.js';

export const ticket = z.object({
  code: z.string(),
  reservationId: z.uuid(),
  eventId: z.uuid(),
  seat: z.string(),
  status: z.enum(ticketStatuses),
  checkedInAt: z.iso.datetime({ offset: true }).nullable(),
});
export type TicketView = z.infer<typeof ticket>;

export const checkIn = z.object({ code: z.string(), status: z.literal('used'), checkedInAt: z.string() });
export type CheckIn = z.infer<typeof checkIn>;
