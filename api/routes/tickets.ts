import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { tickets } from '../../db/schema/ticketing.js';
import type { AppDeps } from '../deps.js';
import { NotFound } from '../errors.js';
import { route } from '../route.js';
import { checkIn, ticket as ticketSchema, type CheckIn, type TicketView } from '../contract/index.js';
import { assertOwner, findEvent } from './events.js';

const codeParams = z.object({ code: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'Not a ticket code') });

export function ticketRoutes({ db, stores, workflows }: AppDeps) {

  async function findTicket(code: string) {
    const [ticket] = await stores.ticketing.select().from(tickets).where(eq(tickets.code, code));
    if (!ticket) throw new NotFound('ticket_not_found', `No ticket ${code}`);
    return ticket;
  }

  return [
    route({
      method: 'get',
      path: '/api/tickets/:code',
      summary: 'A ticket, by its (unguessable) code',
      tag: 'tickets',
      access: 'public',
      params: codeParams,
      responses: { 200: { description: 'The ticket', body: ticketSchema }, 400: 'Not a ticket code', 404: 'No such ticket' },
      async handler(ctx, { params }) {
        const ticket = await findTicket(params.code);
        const view: TicketView = { code: ticket.code, reservationId: ticket.reservationId, eventId: ticket.eventId, seat: ticket.seatId, status: ticket.status, checkedInAt: ticket.checkedInAt?.toISOString() ?? null };
        ctx.body = view;
      },
    }),
    route({
      method: 'post',
      path: '/api/tickets/:code/check-in',
      summary: 'Admit a ticket at the door, once (the event’s organizer, admin)',
      tag: 'tickets',
      access: ['organizer', 'admin'],
      params: codeParams,
      responses: { 200: { description: 'Admitted', body: checkIn }, 401: 'No valid token', 403: 'Not the event’s organizer', 404: 'No such ticket', 409: 'Already checked in, or void' },
      async handler(ctx, { params, user }) {
        const ticket = await findTicket(params.code);
        assertOwner(user, await findEvent(db, ticket.eventId));
        const admitted = await workflows.checkIn(ticket.code);
        const answer: CheckIn = { code: admitted.code, status: 'used', checkedInAt: admitted.checkedInAt };
        ctx.body = answer;
      },
    }),
  ];
}
