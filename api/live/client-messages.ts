import type { RawData } from 'ws';
import { z } from 'zod';
import type { Connection } from './connection.js';
import type { FeedRegistry } from './feed-registry.js';
import type { QueueRooms } from './queue-rooms.js';
import { clientMessage } from './protocol.js';

const uuid = z.uuid();

function badMessage(connection: Connection, message: string): void {
  connection.reply({ type: 'error', error: 'bad_message', message });
}

/** One frame from a client: subscribe or unsubscribe, answered on the same socket. */
export function handleClientMessage(connection: Connection, data: RawData, isBinary: boolean, feeds: FeedRegistry, maxSubscriptions: number, queues?: QueueRooms): void {
  if (isBinary) return badMessage(connection, 'Send JSON text frames');
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString());
  } catch {
    return badMessage(connection, 'Not JSON');
  }
  const result = clientMessage.safeParse(parsed);
  if (!result.success) return badMessage(connection, 'Expected {"type":"subscribe"|"unsubscribe"|"subscribe_queue"|"unsubscribe_queue","eventId":"<uuid>"}');
  const { type, eventId } = result.data;
  if (type === 'subscribe_queue' || type === 'unsubscribe_queue') return queueMessage(connection, type, eventId, maxSubscriptions, queues);
  if (type === 'unsubscribe') {
    feeds.leave(connection, eventId);
    return connection.reply({ type: 'unsubscribed', eventId });
  }
  // Not a uuid cannot be an event: answer as for a missing one, without asking the database.
  if (!uuid.safeParse(eventId).success) return connection.reply({ type: 'error', error: 'event_not_found', message: `No event with id ${eventId}`, eventId });
  if (!connection.subscriptions.has(eventId) && connection.subscriptions.size >= maxSubscriptions) {
    return connection.reply({ type: 'error', error: 'too_many_subscriptions', message: `At most ${maxSubscriptions} events per connection`, eventId });
  }
  feeds.join(connection, eventId);
}

/** The waiting room's subscriptions, counted with the seat-map ones against the same limit. */
function queueMessage(connection: Connection, type: 'subscribe_queue' | 'unsubscribe_queue', eventId: string, maxSubscriptions: number, queues: QueueRooms | undefined): void {
  if (type === 'unsubscribe_queue') {
    queues?.leave(connection, eventId);
    return connection.reply({ type: 'unsubscribed', eventId, feed: 'queue' });
  }
  if (!uuid.safeParse(eventId).success || !queues) return connection.reply({ type: 'error', error: 'event_not_found', message: `No event with id ${eventId}`, eventId });
  if (!connection.queueSubscriptions.has(eventId) && connection.subscriptions.size + connection.queueSubscriptions.size >= maxSubscriptions) {
    return connection.reply({ type: 'error', error: 'too_many_subscriptions', message: `At most ${maxSubscriptions} subscriptions per connection`, eventId });
  }
  queues.join(connection, eventId).catch(() => connection.reply({ type: 'error', error: 'event_not_found', message: `The waiting room of ${eventId} could not be read; subscribe again`, eventId }));
}
