import type { ConnectionRegistry } from './connection-registry.js';
import type { LiveFeedMetrics } from './metrics.js';

/**
 * Pings every socket each interval and cuts those that did not answer the previous ping: a peer
 * that vanished without a close (sleeping laptop, dropped network) would otherwise stay forever.
 * Returns the stop function.
 */
export function startHeartbeat(connections: ConnectionRegistry, intervalMs: number, metrics: LiveFeedMetrics): () => void {
  const sweepForDeadPeers = () => {
    for (const connection of connections) {
      if (!connection.answeredPing) {
        metrics.clientDropped('no_pong');
        connection.socket.terminate();
        continue;
      }
      connection.answeredPing = false;
      connection.socket.ping();
    }
  };
  // After a busy stretch, timers run before pending socket reads: setImmediate lets the pongs that
  // already arrived be read first, so a slow event loop does not drop live clients.
  const heartbeat = setInterval(() => setImmediate(sweepForDeadPeers), intervalMs);
  heartbeat.unref();
  return () => clearInterval(heartbeat);
}
