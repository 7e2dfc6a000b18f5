import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type postgres from 'postgres';
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { z } from 'zod';
import type { Config } from '../../lib/config.js';
import type { Logger } from '../../lib/logger.js';
import { RESERVATION_CHANNEL, reservationMessage, SEAT_CHANNEL, seatMessage, type ReservationMessage, type SeatMessage } from '../../db/channels.js';
import type { AuthUser, Tokens } from '../auth.js';
import { EventFeed, type Subscriber } from './event-feed.js';
import { createSnapshotLoader, type SnapshotLoader } from './snapshot-loader.js';
import { CLOSE_UNAUTHORIZED, LIVE_FEED_PATH, clientMessage, encode, type ErrorMessage } from './protocol.js';

export interface LiveFeedDeps {
  /** A pool as the api role: the LISTEN connection and the snapshot reads. */
  sql: postgres.Sql;
  tokens: Tokens;
  logger: Logger;
  config: Pick<Config, 'LIVE_PING_INTERVAL_MS' | 'LIVE_MAX_BUFFERED_BYTES' | 'LIVE_MAX_SUBSCRIPTIONS_PER_SOCKET' | 'LIVE_RESYNC_CHECK_MS'>;
  /** The API's Prometheus registry, for the feed's gauges and counters. */
  registry?: Registry;
}

export interface LiveFeedStats {
  clients: number;
  subscribedEvents: number;
  /** Bytes queued for all sockets together: what slow readers cost this process right now. */
  bufferedBytes: number;
  droppedSlowClients: number;
  droppedUnresponsiveClients: number;
  resyncs: number;
}

export interface LiveFeed {
  stats(): LiveFeedStats;
  close(): Promise<void>;
}

const uuid = z.uuid();

/** One browser tab: its socket, who it is, what it watches. */
class Connection implements Subscriber {
  readonly subscriptions = new Set<string>();
  answeredPing = true;

  constructor(
    readonly socket: WebSocket,
    readonly user: AuthUser | undefined,
    private readonly maxBufferedBytes: number,
    private readonly onTooSlow: (connection: Connection) => void,
  ) {}

  deliver(data: Buffer): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.socket.send(data, { binary: false });
    // A client that stops reading would make us queue without bound: drop it instead; it can
    // reconnect and get a fresh snapshot once it reads again.
    if (this.socket.bufferedAmount > this.maxBufferedBytes) this.onTooSlow(this);
  }

  reply(message: ErrorMessage | { type: 'unsubscribed'; eventId: string }): void {
    this.deliver(encode(message));
  }
}

/**
 * The live seat map on the API's own port: `ws://host:port/ws[?token=JWT]`. The process LISTENs on
 * the projection's channels and relays every change to its subscribed sockets, so any number of
 * API processes side by side each relay everything. Resolves once LISTEN is active, so no socket
 * is accepted before the feed can see changes.
 */
export async function attachLiveFeed(server: Server, deps: LiveFeedDeps): Promise<LiveFeed> {
  const { logger, config } = deps;
  const load: SnapshotLoader = createSnapshotLoader(deps.sql);
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 4096, clientTracking: false });
  const connections = new Set<Connection>();
  const feeds = new Map<string, EventFeed>();
  const byUser = new Map<string, Set<Connection>>();
  let droppedSlowClients = 0;
  let droppedUnresponsiveClients = 0;
  let retiredFeedResyncs = 0;
  let closing = false;

  const dropped = deps.registry
    ? new Counter({ name: 'live_feed_dropped_clients_total', help: 'WebSocket clients dropped by the live feed', labelNames: ['reason'] as const, registers: [deps.registry] })
    : undefined;
  const relayDuration = deps.registry
    ? new Histogram({
        name: 'live_feed_relay_seconds',
        help: 'Time to hand one seat change to every subscribed socket of this process',
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
        registers: [deps.registry],
      })
    : undefined;
  if (deps.registry) {
    new Gauge({ name: 'live_feed_clients', help: 'Open live seat-map sockets', registers: [deps.registry], collect() { this.set(connections.size); } });
    new Gauge({ name: 'live_feed_buffered_bytes', help: 'Bytes queued for live seat-map sockets', registers: [deps.registry], collect() { this.set(bufferedBytes()); } });
  }

  function bufferedBytes(): number {
    let total = 0;
    for (const connection of connections) total += connection.socket.bufferedAmount;
    return total;
  }

  function dropTooSlow(connection: Connection): void {
    if (connection.socket.readyState === WebSocket.CLOSED) return;
    droppedSlowClients++;
    dropped?.inc({ reason: 'slow_reader' });
    logger.warn({ user: connection.user?.id, buffered: connection.socket.bufferedAmount }, 'live feed: client stopped reading; dropped');
    connection.socket.terminate();
  }

  function feedFor(eventId: string): EventFeed {
    const existing = feeds.get(eventId);
    if (existing) return existing;
    const feed = new EventFeed(eventId, {
      load,
      logger,
      notFound(subscribers) {
        if (feeds.get(eventId) === feed) feeds.delete(eventId);
        for (const subscriber of subscribers) {
          if (!(subscriber instanceof Connection)) continue;
          subscriber.subscriptions.delete(eventId);
          subscriber.reply({ type: 'error', error: 'event_not_found', message: `No event with id ${eventId}`, eventId });
        }
      },
    });
    feeds.set(eventId, feed);
    return feed;
  }

  function leave(connection: Connection, eventId: string): void {
    connection.subscriptions.delete(eventId);
    const feed = feeds.get(eventId);
    if (!feed) return;
    feed.unsubscribe(connection);
    if (feed.isEmpty) {
      feed.finish();
      retiredFeedResyncs += feed.resyncs;
      feeds.delete(eventId);
    }
  }

  function badMessage(connection: Connection, message: string): void {
    connection.reply({ type: 'error', error: 'bad_message', message });
  }

  function onClientMessage(connection: Connection, data: RawData, isBinary: boolean): void {
    if (isBinary) return badMessage(connection, 'Send JSON text frames');
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString());
    } catch {
      return badMessage(connection, 'Not JSON');
    }
    const result = clientMessage.safeParse(parsed);
    if (!result.success) return badMessage(connection, 'Expected {"type":"subscribe"|"unsubscribe","eventId":"<uuid>"}');
    const { type, eventId } = result.data;
    if (type === 'unsubscribe') {
      leave(connection, eventId);
      return connection.reply({ type: 'unsubscribed', eventId });
    }
    if (!uuid.safeParse(eventId).success) return connection.reply({ type: 'error', error: 'event_not_found', message: `No event with id ${eventId}`, eventId });
    if (!connection.subscriptions.has(eventId) && connection.subscriptions.size >= config.LIVE_MAX_SUBSCRIPTIONS_PER_SOCKET) {
      return connection.reply({ type: 'error', error: 'too_many_subscriptions', message: `At most ${config.LIVE_MAX_SUBSCRIPTIONS_PER_SOCKET} events per connection`, eventId });
    }
    connection.subscriptions.add(eventId);
    feedFor(eventId).subscribe(connection);
  }

  function onConnection(socket: WebSocket, user: AuthUser | undefined): void {
    const connection = new Connection(socket, user, config.LIVE_MAX_BUFFERED_BYTES, dropTooSlow);
    connections.add(connection);
    if (user) (byUser.get(user.id) ?? byUser.set(user.id, new Set()).get(user.id))?.add(connection);
    socket.on('pong', () => (connection.answeredPing = true));
    socket.on('message', (data, isBinary) => onClientMessage(connection, data, isBinary));
    socket.on('error', (error) => logger.debug({ err: error }, 'live feed: socket error'));
    socket.once('close', () => {
      connections.delete(connection);
      for (const eventId of [...connection.subscriptions]) leave(connection, eventId);
      if (user) {
        const mine = byUser.get(user.id);
        mine?.delete(connection);
        if (mine?.size === 0) byUser.delete(user.id);
      }
    });
  }

  function rejectUpgrade(socket: Duplex, status: string): void {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  async function onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== LIVE_FEED_PATH) return rejectUpgrade(socket, '404 Not Found');
    if (closing) return rejectUpgrade(socket, '503 Service Unavailable');
    const token = url.searchParams.get('token');
    let user: AuthUser | undefined;
    let tokenRejected = false;
    if (token) {
      try {
        user = await deps.tokens.verify(token);
      } catch {
        tokenRejected = true;
      }
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      if (!tokenRejected) return onConnection(ws, user);
      // Browsers cannot read an HTTP error on a WebSocket handshake: accept, say why, then close.
      ws.send(JSON.stringify({ type: 'error', error: 'unauthorized', message: 'The token is not valid: log in again' } satisfies ErrorMessage));
      ws.close(CLOSE_UNAUTHORIZED, 'unauthorized');
    });
  }
  const upgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    onUpgrade(request, socket, head).catch((error: unknown) => {
      logger.error({ err: error }, 'live feed: upgrade failed');
      socket.destroy();
    });
  };

  function onSeatNotification(payload: string): void {
    let message: SeatMessage;
    try {
      message = seatMessage.parse(JSON.parse(payload));
    } catch (error) {
      return logger.warn({ err: error, payload }, 'live feed: unreadable seat notification');
    }
    const feed = feeds.get(message.eventId);
    if (!feed) return;
    const started = performance.now();
    feed.receive(message);
    relayDuration?.observe((performance.now() - started) / 1000);
  }

  function onReservationNotification(payload: string): void {
    let message: ReservationMessage;
    try {
      message = reservationMessage.parse(JSON.parse(payload));
    } catch (error) {
      return logger.warn({ err: error, payload }, 'live feed: unreadable reservation notification');
    }
    const owners = byUser.get(message.customerId);
    if (!owners) return;
    const bytes = encode({ type: 'reservation', id: message.id, status: message.status, eventId: message.eventId });
    for (const connection of owners) connection.deliver(bytes);
  }

  // postgres.js re-issues LISTEN after its connection drops; notifications sent in between are lost,
  // so every feed re-reads its snapshot once LISTEN is back (the first call is the initial LISTEN).
  let listenedOnce = false;
  const onListen = () => {
    if (!listenedOnce) return;
    logger.warn('live feed: LISTEN re-established; re-reading every snapshot');
    for (const feed of feeds.values()) feed.resync();
  };
  const seatListener = await deps.sql.listen(SEAT_CHANNEL, onSeatNotification, onListen);
  const reservationListener = await deps.sql.listen(RESERVATION_CHANNEL, onReservationNotification);
  listenedOnce = true;

  const sweepForDeadPeers = () => {
    for (const connection of connections) {
      if (!connection.answeredPing) {
        droppedUnresponsiveClients++;
        dropped?.inc({ reason: 'no_pong' });
        connection.socket.terminate();
        continue;
      }
      connection.answeredPing = false;
      connection.socket.ping();
    }
  };
  // After a busy stretch, timers run before pending socket reads: setImmediate lets the pongs that
  // already arrived be read first, so a slow event loop does not drop live clients.
  const heartbeat = setInterval(() => setImmediate(sweepForDeadPeers), config.LIVE_PING_INTERVAL_MS);
  heartbeat.unref();

  let checking = false;
  const consistencyCheck = setInterval(() => {
    const eventIds = [...feeds.keys()].filter((eventId) => feeds.get(eventId)?.isLive);
    if (checking || eventIds.length === 0) return;
    checking = true;
    deps.sql<{ event_id: string; version: string }[]>`SELECT event_id, version::text FROM readmodel.event_availability WHERE event_id = ANY(${eventIds}::uuid[])`
      .then((rows) => {
        for (const row of rows) feeds.get(row.event_id)?.checkVersion(Number(row.version));
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'live feed: consistency check failed'))
      .finally(() => (checking = false));
  }, config.LIVE_RESYNC_CHECK_MS);
  consistencyCheck.unref();

  server.on('upgrade', upgradeListener);
  logger.info({ path: LIVE_FEED_PATH }, 'live feed attached');

  return {
    stats() {
      let resyncs = retiredFeedResyncs;
      for (const feed of feeds.values()) resyncs += feed.resyncs;
      return { clients: connections.size, subscribedEvents: feeds.size, bufferedBytes: bufferedBytes(), droppedSlowClients, droppedUnresponsiveClients, resyncs };
    },
    async close() {
      if (closing) return;
      closing = true;
      server.off('upgrade', upgradeListener);
      clearInterval(heartbeat);
      clearInterval(consistencyCheck);
      const closed = [...connections].map(
        ({ socket }) =>
          new Promise<void>((resolve) => {
            if (socket.readyState === WebSocket.CLOSED) return resolve();
            socket.once('close', () => resolve());
            socket.close(1001, 'server shutting down');
            // A client that does not answer the close handshake must not hold up the shutdown.
            setTimeout(() => socket.terminate(), 1000).unref();
          }),
      );
      await Promise.all(closed);
      for (const feed of feeds.values()) feed.finish();
      feeds.clear();
      await Promise.allSettled([seatListener.unlisten(), reservationListener.unlisten()]);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
