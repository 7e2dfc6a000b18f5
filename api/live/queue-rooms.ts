import { performance } from 'node:perf_hooks';
import type postgres from 'postgres';
import type { QueueChangeMessage } from '../../db/channels.js';
import { readQueueMessage } from '../../db/waitroom.js';
import type { Logger } from '../../lib/logger.js';
import type { QueueState } from '../../lib/waiting-room.js';
import type { AdmissionTokens } from '../admission-tokens.js';
import { presentPlace } from '../routes/queue/presenter.js';
import { queueStore, type PlaceRow } from '../routes/queue/store.js';
import type { Connection } from './connection.js';
import type { LiveFeedMetrics } from './metrics.js';
import { encode } from './protocol.js';

/**
 * One event's waiting room in this API process: the sockets subscribed to it, the last broadcast,
 * and the places of the subscribed users (so that an admission reaches its own user's sockets
 * without asking the database about anyone else).
 */
class QueueRoom {
  readonly subscribers = new Set<Connection>();
  /** The subscribed users' sockets, for their own `queue_place` messages. */
  readonly byUser = new Map<string, Set<Connection>>();
  /** Their places as last read; null for a subscribed user who had not joined (yet). */
  readonly places = new Map<string, PlaceRow | null>();
  last: QueueChangeMessage | undefined;
  lastBytes: Buffer | undefined;
  loading: Promise<boolean> | undefined;

  constructor(readonly eventId: string) {}

  add(connection: Connection): void {
    this.subscribers.add(connection);
    const user = connection.user?.id;
    if (user) (this.byUser.get(user) ?? this.byUser.set(user, new Set()).get(user))?.add(connection);
  }

  remove(connection: Connection): void {
    this.subscribers.delete(connection);
    const user = connection.user?.id;
    if (!user) return;
    const mine = this.byUser.get(user);
    mine?.delete(connection);
    if (mine?.size === 0) {
      this.byUser.delete(user);
      this.places.delete(user);
    }
  }

  /** Takes a broadcast if it is newer than the last; returns whether it did. */
  take(message: QueueChangeMessage): boolean {
    if (this.last && message.version <= this.last.version) return false;
    this.last = message;
    this.lastBytes = encode({ type: 'queue', ...message });
    return true;
  }
}

/** Whose place may have changed with this broadcast: admitted, drawn, lapsed, or joined since subscribing. */
function affected(place: PlaceRow | null, message: QueueChangeMessage, now: number): boolean {
  if (place === null) return true;
  switch (place.status) {
    case 'pre_queue':
      return message.state !== 'pre_opening';
    case 'waiting':
      return (place.place !== null && place.place <= message.admittedThrough) || message.state !== 'open';
    case 'admitted':
      return place.expiresAt !== null && place.expiresAt.getTime() <= now;
    default:
      return false;
  }
}

/** Sold out and closed reach everyone through the broadcast itself: no per-user message for those. */
const endedStates: readonly QueueState[] = ['sold_out', 'closed'];

export interface QueueRoomsDeps {
  sql: postgres.Sql;
  tokens: AdmissionTokens;
  metrics: LiveFeedMetrics;
  logger: Logger;
}

/**
 * The waiting room's live side (docs/waiting-room.md, "Live"): one broadcast per change of an
 * event's queue, serialized once and the same bytes written to every subscribed socket; a user's
 * own place (with the admission token) only to that user's sockets, only when its status changes.
 */
export class QueueRooms {
  private readonly rooms = new Map<string, QueueRoom>();
  private readonly store;

  constructor(private readonly deps: QueueRoomsDeps) {
    this.store = queueStore(deps.sql);
  }

  get size(): number {
    return this.rooms.size;
  }

  /** Subscribes the socket: it gets the queue's last broadcast, and its user's place if they joined. */
  async join(connection: Connection, eventId: string): Promise<void> {
    let room = this.rooms.get(eventId);
    if (!room) {
      room = new QueueRoom(eventId);
      this.rooms.set(eventId, room);
    }
    room.add(connection);
    connection.queueSubscriptions.add(eventId);
    room.loading ??= this.load(room);
    const found = await room.loading;
    if (!found) {
      this.leave(connection, eventId);
      connection.reply({ type: 'error', error: 'event_not_found', message: `Event ${eventId} has no waiting room`, eventId });
      return;
    }
    if (room.lastBytes) connection.deliver(room.lastBytes);
    const user = connection.user;
    if (!user || !room.last) return;
    const place = await this.store.placeRow(eventId, user.id);
    if (!room.subscribers.has(connection)) return;
    // Not joined yet: looked up again with the next broadcast, so a join after subscribing is heard of.
    room.places.set(user.id, place ?? null);
    if (!place) return;
    connection.deliver(encode({ type: 'queue_place', ...(await presentPlace(place, { admittedThrough: room.last.admittedThrough, ratePerMinute: room.last.admitPerMinute }, new Date(room.last.opensAt), this.deps.tokens)) }));
  }

  leave(connection: Connection, eventId: string): void {
    connection.queueSubscriptions.delete(eventId);
    const room = this.rooms.get(eventId);
    if (!room) return;
    room.remove(connection);
    if (room.subscribers.size === 0) this.rooms.delete(eventId);
  }

  leaveAll(connection: Connection): void {
    for (const eventId of [...connection.queueSubscriptions]) this.leave(connection, eventId);
  }

  /**
   * A change of one event's queue from any process (LISTEN): the broadcast to every socket here,
   * then the users here whose place it changed get theirs (one query for all of them).
   */
  receive(message: QueueChangeMessage): void {
    const room = this.rooms.get(message.eventId);
    if (!room || !room.take(message) || !room.lastBytes) return;
    const started = performance.now();
    for (const connection of room.subscribers) connection.deliver(room.lastBytes);
    this.deps.metrics.relayed((performance.now() - started) / 1000);
    this.tellChangedPlaces(room, message).catch((error: unknown) => this.deps.logger.warn({ err: error, eventId: message.eventId }, 'live feed: queue places not refreshed'));
  }

  /** After a lost LISTEN: every room reads its queue again and broadcasts what it missed. */
  refreshAll(): void {
    for (const room of this.rooms.values()) {
      this.queueMessage(room.eventId)
        .then((message) => message && this.receive(message))
        .catch((error: unknown) => this.deps.logger.warn({ err: error, eventId: room.eventId }, 'live feed: queue not refreshed'));
    }
  }

  private async load(room: QueueRoom): Promise<boolean> {
    const message = await this.queueMessage(room.eventId);
    if (!message) return false;
    room.take(message);
    return true;
  }

  private queueMessage(eventId: string): Promise<QueueChangeMessage | undefined> {
    return readQueueMessage(this.deps.sql, eventId);
  }

  private async tellChangedPlaces(room: QueueRoom, message: QueueChangeMessage): Promise<void> {
    const now = Date.now();
    const ended = endedStates.includes(message.state);
    const ids: string[] = [];
    for (const [userId, place] of room.places) {
      if (!affected(place, message, now)) continue;
      if (ended && place !== null && (place.status === 'pre_queue' || place.status === 'waiting')) {
        // The broadcast has told them; keep the local copy in step without a query.
        room.places.set(userId, { ...place, status: message.state === 'sold_out' ? 'sold_out' : 'closed' });
        continue;
      }
      ids.push(userId);
    }
    if (ids.length === 0) return;
    for (const place of await this.store.placesOf(room.eventId, ids)) {
      const before = room.places.get(place.accountId);
      if (before === undefined || (before !== null && before.status === place.status && before.place === place.place)) continue;
      room.places.set(place.accountId, place);
      const sockets = room.byUser.get(place.accountId);
      if (!sockets) continue;
      const bytes = encode({ type: 'queue_place', ...(await presentPlace(place, { admittedThrough: message.admittedThrough, ratePerMinute: message.admitPerMinute }, new Date(message.opensAt), this.deps.tokens)) });
      for (const connection of sockets) connection.deliver(bytes);
    }
  }
}
