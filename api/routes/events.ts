import { randomUUID } from 'node:crypto';
import { and, asc, eq, ne } from 'drizzle-orm';
import { z } from 'zod';
import { events } from '../../db/schema/catalog.js';
import { subscriptions } from '../../db/schema/notify.js';
import type { Database } from '../../db/client.js';
import { MAX_GENERAL_CAPACITY, MAX_ROWS, MAX_SEATS_PER_ROW, capacityOf } from '../../lib/seating.js';
import type { AuthUser } from '../auth.js';
import type { AppDeps, RequestGuards } from '../deps.js';
import { DomainError, Forbidden, NotFound, ValidationFailed } from '../errors.js';
import { Failure } from '../../lib/failures.js';
import { availabilityOf, publicEvent, salesStats, seatMap } from '../read-model.js';
import { route } from '../route.js';
import { multiLineText, singleLineText } from './text.js';
import { event as eventSchema, eventCancelling, eventList, queueSettings, salesStats as salesStatsSchema, seatMap as seatMapSchema, type QueueSettings } from '../contract/index.js';
import { queueStore } from './queue/store.js';

const seating = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('reserved'),
    rows: z.int().min(1).max(MAX_ROWS),
    seatsPerRow: z.int().min(1).max(MAX_SEATS_PER_ROW),
  }),
  z.strictObject({ type: z.literal('general'), capacity: z.int().min(1).max(MAX_GENERAL_CAPACITY) }),
]);

const eventFields = {
  name: singleLineText().trim().min(1).max(200),
  description: multiLineText().max(5000),
  venue: singleLineText().trim().min(1).max(200),
  startsAt: z.iso.datetime({ offset: true }),
  priceCents: z.int().min(0).max(10_000_000),
  currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code, like EUR'),
};

const createEventBody = z.strictObject({
  ...eventFields,
  description: eventFields.description.default(''),
  currency: eventFields.currency.default('EUR'),
  seating,
  /** The waiting room (docs/waiting-room.md). */
  queue: queueSettings.optional(),
});

/** Seating cannot change once an event exists: seats may already be sold. `queue: null` removes the queue. */
const updateEventBody = z
  .strictObject({ ...eventFields, queue: queueSettings.nullable() })
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'Send at least one field to change');

/** An event is created or moved only into the future (a past one would be on sale and over at once). */
function refusePast(startsAt: string): void {
  if (new Date(startsAt).getTime() <= Date.now()) throw new ValidationFailed('body.startsAt: the event must start in the future');
}

/**
 * A queue opens in the future and before the event starts (admission would otherwise never run, or
 * run for a show that is over).
 */
function refuseBadQueue(queue: QueueSettings, startsAt: Date, now = Date.now()): void {
  const opensAt = new Date(queue.opensAt).getTime();
  if (opensAt <= now) throw new ValidationFailed('body.queue.opensAt: the queue must open in the future');
  if (opensAt >= startsAt.getTime()) throw new ValidationFailed('body.queue.opensAt: the queue must open before the event starts');
}

export const eventIdParams = z.object({ id: z.string() });

export async function findEvent(db: Database, id: string) {
  const found = z.uuid().safeParse(id).success ? (await db.select().from(events).where(eq(events.id, id)))[0] : undefined;
  if (!found) throw new NotFound('event_not_found', `No event with id ${id}`);
  return found;
}

/** After the opening, the queue stays and its opening stays put (people were admitted by it); its rate may change. */
function refuseQueueChange(event: { queueOpensAt: Date | null }, queue: QueueSettings | null, now = Date.now()): void {
  if (!event.queueOpensAt || event.queueOpensAt.getTime() > now) return;
  if (queue === null || new Date(queue.opensAt).getTime() !== event.queueOpensAt.getTime()) throw new DomainError(Failure.QueueAlreadyOpen);
}

export function assertOwner(user: AuthUser, event: { organizerId: string }): void {
  if (user.role !== 'admin' && event.organizerId !== user.id) throw new Forbidden('Only the event’s organizer or an admin may do this');
}

/**
 * Subscriptions and the waiting list are for an event still ahead: 409 event_not_on_sale once it is
 * cancelled, event_started once it has begun.
 */
export function refuseUnlessUpcoming(event: { status: string; startsAt: Date }, cancelledMessage?: string): void {
  if (event.status !== 'on_sale') throw new DomainError(Failure.EventNotOnSale, cancelledMessage);
  if (event.startsAt.getTime() <= Date.now()) throw new DomainError(Failure.EventStarted);
}

export function eventRoutes({ db, workflows, stores, config }: AppDeps, { events: eventCache }: Pick<RequestGuards, 'events'>) {
  const queues = queueStore(db.$client);
  /** The catalogue's queue columns for these settings; joins open QUEUE_JOIN_LEAD_SECONDS before the opening. */
  const queueColumns = (queue: QueueSettings | null) =>
    queue === null
      ? { queueOpensAt: null, queueJoinOpensAt: null, queueAdmitPerMinute: null }
      : {
          queueOpensAt: new Date(queue.opensAt),
          queueJoinOpensAt: new Date(new Date(queue.opensAt).getTime() - config.QUEUE_JOIN_LEAD_SECONDS * 1000),
          queueAdmitPerMinute: queue.admitPerMinute ?? null,
        };

  /**
   * Subscribers hear of a move or a cancellation through the event's reminder workflow. Signalled
   * after the catalogue changed (the workflow reads it), also when a retried PATCH changes nothing.
   */
  async function tellSubscribers(eventId: string, previousStartsAt: Date): Promise<void> {
    const [anyone] = await db.select({ userId: subscriptions.userId }).from(subscriptions).where(eq(subscriptions.eventId, eventId)).limit(1);
    if (anyone) await workflows.eventChanged(eventId, previousStartsAt.toISOString());
  }

  return [
    route({
      method: 'get',
      path: '/api/events',
      summary: 'The event catalogue with live availability',
      tag: 'events',
      access: 'public',
      responses: { 200: { description: 'Events', body: eventList } },
      async handler(ctx) {
        const rows = await db.select().from(events).orderBy(asc(events.startsAt), asc(events.name));
        const availability = await availabilityOf(db, rows);
        ctx.body = { events: rows.map((row) => publicEvent(row, availability.get(row.id) ?? { total: row.capacity, available: row.capacity, held: 0, sold: 0 })) };
      },
    }),
    route({
      method: 'get',
      path: '/api/events/:id',
      summary: 'One event',
      tag: 'events',
      access: 'public',
      params: eventIdParams,
      responses: { 200: { description: 'The event', body: eventSchema }, 404: 'No such event' },
      async handler(ctx, { params }) {
        const event = await findEvent(db, params.id);
        const availability = (await availabilityOf(db, [event])).get(event.id);
        if (!availability) throw new Error('availability missing');
        ctx.body = publicEvent(event, availability);
      },
    }),
    route({
      method: 'post',
      path: '/api/events',
      summary: 'Create an event (organizer, admin)',
      tag: 'events',
      access: ['organizer', 'admin'],
      body: createEventBody,
      responses: { 201: { description: 'The event', body: eventSchema }, 400: 'Invalid input (startsAt in the past; a queue opening in the past or not before startsAt)', 401: 'No valid token', 403: 'Not an organizer' },
      async handler(ctx, { body, user }) {
        refusePast(body.startsAt);
        if (body.queue) refuseBadQueue(body.queue, new Date(body.startsAt));
        const id = randomUUID();
        // The queue's row first: an event never has queue columns without one (a row without
        // queue columns is harmless: its workflow closes it, joins find no queue).
        if (body.queue) await db.$client.begin((tx) => queues.setUp(tx, id));
        const [created] = await db
          .insert(events)
          .values({
            id,
            ...queueColumns(body.queue ?? null),
            organizerId: user.id,
            name: body.name,
            description: body.description,
            venue: body.venue,
            startsAt: new Date(body.startsAt),
            priceCents: body.priceCents,
            currency: body.currency,
            seatingType: body.seating.type,
            rows: body.seating.type === 'reserved' ? body.seating.rows : null,
            seatsPerRow: body.seating.type === 'reserved' ? body.seating.seatsPerRow : null,
            capacity: capacityOf(body.seating),
          })
          .returning();
        if (!created) throw new Error('insert returned no row');
        if (body.queue) await workflows.queueChanged(created.id);
        ctx.status = 201;
        ctx.set('Location', `/api/events/${created.id}`);
        ctx.body = publicEvent(created, { total: created.capacity, available: created.capacity, held: 0, sold: 0 });
      },
    }),
    route({
      method: 'patch',
      path: '/api/events/:id',
      summary: 'Change an event’s details (its organizer, admin)',
      tag: 'events',
      access: ['organizer', 'admin'],
      params: eventIdParams,
      body: updateEventBody,
      responses: {
        200: { description: 'The event', body: eventSchema },
        400: 'Invalid input (startsAt in the past; a queue opening in the past or not before startsAt)',
        401: 'No valid token',
        403: 'Not the event’s organizer',
        404: 'No such event',
        409: 'The event is cancelled, or its queue has opened (its opening can no longer move, nor the queue be removed)',
      },
      async handler(ctx, { params, body, user }) {
        const event = await findEvent(db, params.id);
        assertOwner(user, event);
        if (event.status === 'cancelled') throw new DomainError(Failure.EventCancelled);
        const { startsAt, queue, ...rest } = body;
        if (startsAt !== undefined) refusePast(startsAt);
        const newStartsAt = startsAt ? new Date(startsAt) : event.startsAt;
        if (queue !== undefined) refuseQueueChange(event, queue);
        if (queue) refuseBadQueue(queue, newStartsAt, event.queueOpensAt && new Date(queue.opensAt).getTime() === event.queueOpensAt.getTime() ? 0 : Date.now());
        const keptOpensAt = queue === undefined ? event.queueOpensAt : null;
        if (keptOpensAt && keptOpensAt.getTime() >= newStartsAt.getTime()) throw new ValidationFailed('body.startsAt: the event must start after its queue opens');
        if (queue) await db.$client.begin((tx) => queues.setUp(tx, event.id));
        // An unchanged opening keeps its join time; admitPerMinute alone may change after the opening.
        const queueFields =
          queue === undefined
            ? {}
            : queue !== null && event.queueOpensAt && event.queueJoinOpensAt && new Date(queue.opensAt).getTime() === event.queueOpensAt.getTime()
              ? { queueAdmitPerMinute: queue.admitPerMinute ?? null }
              : queueColumns(queue);
        const [updated] = await db
          .update(events)
          .set({ ...rest, ...queueFields, ...(startsAt ? { startsAt: new Date(startsAt) } : {}), updatedAt: new Date() })
          // Conditional, so a cancellation committed since the read above still wins.
          .where(and(eq(events.id, event.id), ne(events.status, 'cancelled')))
          .returning();
        if (!updated) throw new DomainError(Failure.EventCancelled);
        if (queue === null) await db.$client.begin((tx) => queues.remove(tx, event.id));
        await eventCache.changed(updated.id);
        if (startsAt) await tellSubscribers(updated.id, event.startsAt);
        if (queue !== undefined || (startsAt && updated.queueOpensAt)) await workflows.queueChanged(updated.id);
        const availability = (await availabilityOf(db, [updated])).get(updated.id);
        if (!availability) throw new Error('availability missing');
        ctx.body = publicEvent(updated, availability);
      },
    }),
    route({
      method: 'get',
      path: '/api/events/:id/seats',
      summary: 'The seat map (reserved seating) or availability counts (general admission), from the read model',
      tag: 'events',
      access: 'public',
      params: eventIdParams,
      responses: { 200: { description: 'Seats', body: seatMapSchema }, 404: 'No such event' },
      async handler(ctx, { params }) {
        ctx.body = await seatMap(db, await findEvent(db, params.id));
      },
    }),
    route({
      method: 'get',
      path: '/api/events/:id/stats',
      summary: 'Sales figures (its organizer, admin)',
      tag: 'events',
      access: ['organizer', 'admin'],
      params: eventIdParams,
      responses: { 200: { description: 'Stats', body: salesStatsSchema }, 401: 'No valid token', 403: 'Not the event’s organizer', 404: 'No such event' },
      async handler(ctx, { params, user }) {
        const event = await findEvent(db, params.id);
        assertOwner(user, event);
        ctx.body = await salesStats(db, event, stores.booking);
      },
    }),
    route({
      method: 'delete',
      path: '/api/events/:id',
      summary: 'Cancel the event: every live reservation is cancelled and refunded through its own workflow; its waiting list closes',
      tag: 'events',
      access: ['organizer', 'admin'],
      params: eventIdParams,
      responses: { 202: { description: 'Cancelling', body: eventCancelling }, 401: 'No valid token', 403: 'Not the event’s organizer', 404: 'No such event' },
      async handler(ctx, { params, user }) {
        const event = await findEvent(db, params.id);
        assertOwner(user, event);
        await db.update(events).set({ status: 'cancelled', updatedAt: new Date() }).where(eq(events.id, event.id));
        // Before the workflows: a booking arriving meanwhile must see the cancellation.
        await eventCache.changed(event.id);
        await workflows.cancelEvent(event.id, event.capacity);
        await tellSubscribers(event.id, event.startsAt);
        // Its on-sale workflow closes the queue: everyone waiting is told.
        if (event.queueOpensAt) await workflows.queueChanged(event.id);
        // After the catalogue says cancelled (the list reads it): the line closes now, not at its next look.
        await workflows.closeWaitlist(event.id, event.startsAt.toISOString());
        ctx.status = 202;
        ctx.body = { id: event.id, status: 'cancelling' };
      },
    }),
  ];
}
