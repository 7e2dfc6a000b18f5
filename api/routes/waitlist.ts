import { z } from 'zod';
import { Failure } from '../../lib/failures.js';
import { MAX_SEATS_PER_RESERVATION } from '../../lib/seating.js';
import type { OfferTemplate } from '../../lib/waitlist.js';
import type { AppDeps } from '../deps.js';
import { DomainError, NotFound, ValidationFailed } from '../errors.js';
import { waitlistEntry, waitlistLeft, type WaitlistEntry } from '../contract/index.js';
import { availabilityOf, seatingOf } from '../read-model.js';
import { route } from '../route.js';
import { waitlistEntryOf } from '../waitlist-reads.js';
import { eventIdParams, findEvent, refuseUnlessUpcoming } from './events.js';

const joinBody = z.strictObject({ quantity: z.int().min(1).max(MAX_SEATS_PER_RESERVATION) });

/**
 * The waiting list of a sold-out event (docs/waiting-list.md): join for a quantity, see your place,
 * leave. Joining and leaving go through the event's waiting-list workflow; reads come from the
 * booking store.
 */
export function waitlistRoutes({ db, stores, workflows }: AppDeps) {
  return [
    route({
      method: 'post',
      path: '/api/events/:id/waitlist',
      summary: 'Join the waiting list of a sold-out event for a quantity (customer); already waiting: same place, the new quantity',
      tag: 'waitlist',
      access: ['customer'],
      params: eventIdParams,
      body: joinBody,
      responses: {
        201: { description: 'In line', body: waitlistEntry },
        200: { description: 'Already in line: the same place, with the new quantity', body: waitlistEntry },
        400: 'Invalid quantity (1 to 10, and no more than the event has)',
        401: 'No valid token',
        403: 'Not a customer',
        404: 'No such event',
        409: 'Enough seats on sale for the quantity (seats_available), the event cancelled (event_not_on_sale) or started (event_started)',
      },
      async handler(ctx, { params, body, user }) {
        const event = await findEvent(db, params.id);
        refuseUnlessUpcoming(event);
        if (body.quantity > event.capacity) throw new ValidationFailed(`body.quantity: the event has ${event.capacity} seats in all`);
        const available = (await availabilityOf(db, [event])).get(event.id)?.available ?? event.capacity;
        if (available >= body.quantity) throw new DomainError(Failure.SeatsAvailable, `${available} ${available === 1 ? 'seat is' : 'seats are'} on sale: book them instead of waiting`, { available });
        const seating = seatingOf(event);
        const template: OfferTemplate = {
          eventName: event.name,
          seating: seating.type,
          capacity: event.capacity,
          ...(seating.type === 'reserved' ? { rows: seating.rows, seatsPerRow: seating.seatsPerRow } : {}),
          amountCents: event.priceCents * body.quantity,
          currency: event.currency,
          startsAt: event.startsAt.toISOString(),
        };
        const place = await workflows.joinWaitlist(event.id, event.startsAt.toISOString(), { customerId: user.id, quantity: body.quantity, template });
        const offer = (await waitlistEntryOf(stores.booking, event.id, user.id))?.offer ?? null;
        ctx.status = place.created ? 201 : 200;
        ctx.set('Location', `/api/events/${event.id}/waitlist/me`);
        ctx.body = { eventId: event.id, quantity: place.quantity, position: place.position, offer } satisfies WaitlistEntry;
      },
    }),
    route({
      method: 'get',
      path: '/api/events/:id/waitlist/me',
      summary: 'Your place on the event’s waiting list, and your offer if one waits for payment (customer)',
      tag: 'waitlist',
      access: ['customer'],
      params: eventIdParams,
      responses: { 200: { description: 'Your entry', body: waitlistEntry }, 401: 'No valid token', 403: 'Not a customer', 404: 'No such event, or you are not on its list' },
      async handler(ctx, { params, user }) {
        const event = await findEvent(db, params.id);
        const entry = await waitlistEntryOf(stores.booking, event.id, user.id);
        if (!entry) throw new NotFound('waitlist_entry_not_found', 'You are not on this event’s waiting list');
        ctx.body = entry;
      },
    }),
    route({
      method: 'delete',
      path: '/api/events/:id/waitlist',
      summary: 'Leave the event’s waiting list (customer; idempotent). An offer already made stays yours until paid, cancelled or expired',
      tag: 'waitlist',
      access: ['customer'],
      params: eventIdParams,
      responses: { 200: { description: 'Not on the list (any more)', body: waitlistLeft }, 401: 'No valid token', 403: 'Not a customer', 404: 'No such event' },
      async handler(ctx, { params, user }) {
        const event = await findEvent(db, params.id);
        const { left } = await workflows.leaveWaitlist(event.id, user.id);
        ctx.body = { eventId: event.id, left };
      },
    }),
  ];
}
