import { performance } from 'node:perf_hooks';
import type postgres from 'postgres';
import type { Logger } from '../../lib/logger.js';
import type { z } from 'zod';
import { NOTIFICATION_CHANNEL, notificationMessage, QUEUE_CHANNEL, queueChangeMessage, RESERVATION_CHANNEL, reservationMessage, SEAT_CHANNEL, seatMessage } from '../../db/channels.js';
import type { ConnectionRegistry } from './connection-registry.js';
import type { FeedRegistry } from './feed-registry.js';
import type { QueueRooms } from './queue-rooms.js';
import type { LiveFeedMetrics } from './metrics.js';
import { encode } from './protocol.js';

export interface RelayDeps {
  sql: postgres.Sql;
  feeds: FeedRegistry;
  connections: ConnectionRegistry;
  metrics: LiveFeedMetrics;
  logger: Logger;
  /** The waiting rooms' sockets. */
  queues: QueueRooms;
}

export interface Relay {
  stop(): Promise<void>;
}

/**
 * LISTENs on the projection's channels: seat changes go to the event's feed, reservation changes
 * and stored notifications to their owner's sockets. Resolves once every LISTEN is active.
 */
export async function startRelay({ sql, feeds, connections, metrics, logger, queues }: RelayDeps): Promise<Relay> {
  /** A NOTIFY payload read with its schema from db/channels.ts; a malformed one is logged and skipped. */
  function parsed<T>(schema: z.ZodType<T>, payload: string, what: string): T | undefined {
    try {
      return schema.parse(JSON.parse(payload));
    } catch (error) {
      logger.warn({ err: error, payload }, `live feed: unreadable ${what} notification`);
      return undefined;
    }
  }

  function onSeatNotification(payload: string): void {
    const message = parsed(seatMessage, payload, 'seat');
    if (!message) return;
    const feed = feeds.get(message.eventId);
    if (!feed) return;
    const started = performance.now();
    feed.receive(message);
    metrics.relayed((performance.now() - started) / 1000);
  }

  function onReservationNotification(payload: string): void {
    const message = parsed(reservationMessage, payload, 'reservation');
    if (!message) return;
    const owners = connections.ownedBy(message.customerId);
    if (!owners) return;
    const bytes = encode({ type: 'reservation', id: message.id, status: message.status, eventId: message.eventId });
    for (const connection of owners) connection.deliver(bytes);
  }

  function onNotification(payload: string): void {
    const message = parsed(notificationMessage, payload, 'user notification');
    if (!message) return;
    const owners = connections.ownedBy(message.userId);
    if (!owners) return;
    const bytes = encode({
      type: 'notification',
      notification: {
        id: message.id,
        type: message.type,
        ...(message.eventId ? { eventId: message.eventId } : {}),
        ...(message.reservationId ? { reservationId: message.reservationId } : {}),
        message: message.message,
        ...(message.expiresAt ? { expiresAt: message.expiresAt } : {}),
        createdAt: message.createdAt,
      },
    });
    for (const connection of owners) connection.deliver(bytes);
    // A waiting-list offer is also announced as such (shared/API.md), for clients that act on it.
    if (message.type === 'offer' && message.eventId && message.reservationId && message.expiresAt) {
      const offer = encode({ type: 'offer', eventId: message.eventId, reservationId: message.reservationId, expiresAt: message.expiresAt });
      for (const connection of owners) connection.deliver(offer);
    }
  }

  function onQueueNotification(payload: string): void {
    const message = parsed(queueChangeMessage, payload, 'queue');
    if (message) queues.receive(message);
  }

  // postgres.js re-issues LISTEN after its connection drops; notifications sent in between are lost,
  // so every feed re-reads its snapshot once LISTEN is back (the first call is the initial LISTEN).
  let listenedOnce = false;
  const onListen = () => {
    if (!listenedOnce) return;
    logger.warn('live feed: LISTEN re-established; re-reading every snapshot');
    feeds.resyncAll();
    queues.refreshAll();
  };
  const seatListener = await sql.listen(SEAT_CHANNEL, onSeatNotification, onListen);
  const reservationListener = await sql.listen(RESERVATION_CHANNEL, onReservationNotification);
  // A notification missed while LISTEN was down is still in GET /api/me/notifications.
  const notificationListener = await sql.listen(NOTIFICATION_CHANNEL, onNotification);
  // One broadcast per change of a queue; a missed one is caught up by the next (versions only grow).
  const queueListener = await sql.listen(QUEUE_CHANNEL, onQueueNotification);
  listenedOnce = true;

  return {
    async stop() {
      await Promise.allSettled([seatListener.unlisten(), reservationListener.unlisten(), notificationListener.unlisten(), queueListener.unlisten()]);
    },
  };
}
