import type { AppDeps } from '../../deps.js';
import { queueOverview, queuePlace } from '../../contract/index.js';
import { DomainError } from '../../errors.js';
import { Failure } from '../../../lib/failures.js';
import { registerQueueGauges } from '../../metrics.js';
import { route } from '../../route.js';
import { assertOwner, eventIdParams, findEvent } from '../events.js';
import { presentPlace } from './presenter.js';
import { queueStore } from './store.js';

type EventRow = Awaited<ReturnType<typeof findEvent>>;

/** The event's queue settings, or 404 `queue_not_found` for an event without a queue. */
function queueOf(event: EventRow): { opensAt: Date; joinOpensAt: Date; admitPerMinute: number | null } {
  if (!event.queueOpensAt || !event.queueJoinOpensAt) throw new DomainError(Failure.QueueNotFound);
  return { opensAt: event.queueOpensAt, joinOpensAt: event.queueJoinOpensAt, admitPerMinute: event.queueAdmitPerMinute };
}

/** The waiting room's routes (docs/waiting-room.md): join, one's own place, the organizer's view. */
export function queueRoutes({ db, tokens, metrics, logger, workflows }: AppDeps) {
  const store = queueStore(db.$client);
  // A scrape while Postgres is away shows no queues rather than failing /metrics.
  registerQueueGauges(metrics.registry, () =>
    store.gauges().catch((error: unknown) => {
      logger.warn({ err: error }, 'queue gauges not read');
      return [];
    }),
  );

  return [
    route({
      method: 'post',
      path: '/api/events/:id/queue',
      summary: 'Join the event’s queue (one place per account: joining again returns the same place)',
      tag: 'waiting room',
      access: 'user',
      params: eventIdParams,
      responses: {
        200: { description: 'Already in the queue: the same place', body: queuePlace },
        201: { description: 'Joined', body: queuePlace },
        401: 'No valid token',
        404: 'No such event, or it has no queue',
        409: 'Not open for joining yet, sold out, or the event is cancelled or has started',
      },
      async handler(ctx, { params, user }) {
        const event = await findEvent(db, params.id);
        const queue = queueOf(event);
        if (event.status === 'cancelled') throw new DomainError(Failure.EventNotOnSale);
        if (event.startsAt.getTime() <= Date.now()) throw new DomainError(Failure.EventStarted);
        if (Date.now() < queue.joinOpensAt.getTime()) {
          throw new DomainError(Failure.QueueNotOpen, `The queue takes places from ${queue.joinOpensAt.toISOString()}`, { joinOpensAt: queue.joinOpensAt.toISOString() });
        }
        const joined = await store.join(event.id, user.id, ctx.state.arrivedAt ?? new Date());
        // The join is answered whether or not Temporal hears of it (joins work while it is away;
        // the workflow still wakes for its next expiry or the event's start).
        if (joined.woke) {
          workflows.wakeQueue(event.id).catch((error: unknown) => logger.warn({ err: error, eventId: event.id }, 'on-sale workflow not woken'));
        }
        ctx.status = joined.created ? 201 : 200;
        ctx.set('Location', `/api/events/${event.id}/queue/me`);
        ctx.body = await presentPlace(joined.place, joined.queue, queue.opensAt, tokens.admission);
      },
    }),
    route({
      method: 'get',
      path: '/api/events/:id/queue/me',
      summary: 'The caller’s place in the event’s queue: position, estimated wait, and the admission token once admitted',
      tag: 'waiting room',
      access: 'user',
      params: eventIdParams,
      responses: { 200: { description: 'The place', body: queuePlace }, 401: 'No valid token', 404: 'No such event, it has no queue, or the caller has not joined' },
      async handler(ctx, { params, user }) {
        const event = await findEvent(db, params.id);
        const queue = queueOf(event);
        const [place, row] = await Promise.all([store.placeRow(event.id, user.id), store.queueRow(event.id)]);
        if (!place || !row) throw new DomainError(Failure.QueuePlaceNotFound);
        ctx.body = await presentPlace(place, row, queue.opensAt, tokens.admission);
      },
    }),
    route({
      method: 'get',
      path: '/api/events/:id/queue',
      summary: 'The queue at a glance: waiting, admitted, rate (its organizer, admin)',
      tag: 'waiting room',
      access: ['organizer', 'admin'],
      params: eventIdParams,
      responses: { 200: { description: 'The queue', body: queueOverview }, 401: 'No valid token', 403: 'Not the event’s organizer', 404: 'No such event, or it has no queue' },
      async handler(ctx, { params, user }) {
        const event = await findEvent(db, params.id);
        assertOwner(user, event);
        const queue = queueOf(event);
        const found = await store.overview(event.id);
        if (!found) throw new DomainError(Failure.QueueNotFound);
        const { queue: row, counts } = found;
        ctx.body = {
          eventId: event.id,
          state: row.state,
          opensAt: queue.opensAt.toISOString(),
          joinOpensAt: queue.joinOpensAt.toISOString(),
          admitPerMinute: queue.admitPerMinute,
          currentAdmitPerMinute: Math.round(row.ratePerMinute * 10) / 10,
          admissionWindow: queue.admitPerMinute === null ? row.admissionWindow : null,
          preQueue: counts.pre_queue,
          waiting: counts.waiting,
          admitted: counts.admitted,
          booked: counts.booked,
          expired: counts.expired,
          admittedThrough: row.admittedThrough,
          total: row.total,
          bookingLatencyMs: { p50: counts.p50, p99: counts.p99 },
        };
      },
    }),
  ];
}
