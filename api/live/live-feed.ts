import type { Server } from 'node:http';
import { drizzle } from 'drizzle-orm/postgres-js';
import type postgres from 'postgres';
import type { Registry } from 'prom-client';
import { WebSocket } from 'ws';
import type { Config } from '../../lib/config.js';
import type { Logger } from '../../lib/logger.js';
import * as schema from '../../db/schema/index.js';
import { AccountCheck } from '../accounts.js';
import type { AuthUser, Tokens } from '../auth.js';
import { startAccountWatch } from './account-watch.js';
import { handleClientMessage } from './client-messages.js';
import { Connection } from './connection.js';
import { ConnectionRegistry } from './connection-registry.js';
import { FeedRegistry } from './feed-registry.js';
import { startHeartbeat } from './heartbeat.js';
import { LiveFeedMetrics } from './metrics.js';
import { LIVE_FEED_PATH } from './protocol.js';
import { QueueRooms } from './queue-rooms.js';
import { startRelay } from './relay.js';
import { startResyncCheck } from './resync-check.js';
import { createSnapshotLoader } from './snapshot-loader.js';
import { acceptLiveSockets } from './upgrade.js';

export interface LiveFeedDeps {
  /** A pool as the api role: the LISTEN connection and the snapshot reads. */
  sql: postgres.Sql;
  tokens: Tokens;
  logger: Logger;
  config: Pick<Config, 'LIVE_PING_INTERVAL_MS' | 'LIVE_MAX_BUFFERED_BYTES' | 'LIVE_MAX_SUBSCRIPTIONS_PER_SOCKET' | 'LIVE_RESYNC_CHECK_MS' | 'LIVE_ACCOUNT_CHECK_MS' | 'AUTH_ACCOUNT_CACHE_MS'>;
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

/**
 * The live seat map on the API's own port: `ws://host:port/ws[?token=JWT]`. The process LISTENs on
 * the projection's channels and relays every change to its subscribed sockets, so any number of
 * API processes side by side each relay everything. Resolves once LISTEN is active, so no socket
 * is accepted before the feed can see changes.
 */
export async function attachLiveFeed(server: Server, deps: LiveFeedDeps): Promise<LiveFeed> {
  const { logger, config } = deps;
  const connections = new ConnectionRegistry();
  const feeds = new FeedRegistry(createSnapshotLoader(deps.sql), logger);
  const metrics = new LiveFeedMetrics(deps.registry, { clients: () => connections.size, bufferedBytes: () => connections.bufferedBytes() });
  const accounts = new AccountCheck(drizzle(deps.sql, { schema }), config.AUTH_ACCOUNT_CACHE_MS);
  const accountWatch = startAccountWatch(connections, accounts, config.LIVE_ACCOUNT_CHECK_MS, logger);
  const queues = new QueueRooms({ sql: deps.sql, tokens: deps.tokens.admission, metrics, logger });
  let closing = false;

  function dropTooSlow(connection: Connection): void {
    if (connection.socket.readyState === WebSocket.CLOSED) return;
    metrics.clientDropped('slow_reader');
    logger.warn({ user: connection.user?.id, buffered: connection.socket.bufferedAmount }, 'live feed: client stopped reading; dropped');
    connection.socket.terminate();
  }

  function onConnection(socket: WebSocket, user: AuthUser | undefined, tokenExpiresAtMs: number | undefined): void {
    const connection = new Connection(socket, user, config.LIVE_MAX_BUFFERED_BYTES, dropTooSlow);
    connections.add(connection);
    accountWatch.track(connection, tokenExpiresAtMs);
    socket.on('pong', () => (connection.answeredPing = true));
    socket.on('message', (data, isBinary) => handleClientMessage(connection, data, isBinary, feeds, config.LIVE_MAX_SUBSCRIPTIONS_PER_SOCKET, queues));
    socket.on('error', (error) => logger.debug({ err: error }, 'live feed: socket error'));
    socket.once('close', () => {
      accountWatch.untrack(connection);
      connections.remove(connection);
      for (const eventId of [...connection.subscriptions]) feeds.leave(connection, eventId);
      queues.leaveAll(connection);
    });
  }

  const relay = await startRelay({ sql: deps.sql, feeds, connections, metrics, logger, queues });
  const stopHeartbeat = startHeartbeat(connections, config.LIVE_PING_INTERVAL_MS, metrics);
  const stopResyncCheck = startResyncCheck(deps.sql, feeds, config.LIVE_RESYNC_CHECK_MS, logger);
  const gate = acceptLiveSockets(server, { tokens: deps.tokens, accounts, logger, onConnection });
  logger.info({ path: LIVE_FEED_PATH }, 'live feed attached');

  return {
    stats() {
      return {
        clients: connections.size,
        subscribedEvents: feeds.size,
        bufferedBytes: connections.bufferedBytes(),
        droppedSlowClients: metrics.droppedSlowClients,
        droppedUnresponsiveClients: metrics.droppedUnresponsiveClients,
        resyncs: feeds.resyncs(),
      };
    },
    async close() {
      if (closing) return;
      closing = true;
      gate.stop();
      stopHeartbeat();
      stopResyncCheck();
      accountWatch.stop();
      await connections.closeAll();
      feeds.finishAll();
      await relay.stop();
      await gate.close();
    },
  };
}
