import { WebSocket } from 'ws';
import type { Logger } from '../../lib/logger.js';
import type { AccountCheck } from '../accounts.js';
import type { Connection } from './connection.js';
import type { ConnectionRegistry } from './connection-registry.js';
import { CLOSE_UNAUTHORIZED, encode } from './protocol.js';

/** setTimeout's longest delay (about 24.8 days); a later expiry is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** How long a client may take to answer the close handshake before its socket is cut. */
const CLOSE_GRACE_MS = 1000;

export interface AccountWatch {
  /** Closes the socket when its token expires. */
  track(connection: Connection, tokenExpiresAtMs: number | undefined): void;
  untrack(connection: Connection): void;
  stop(): void;
}

/**
 * A socket's token is checked once, at the handshake; after that this closes the socket (4401, as
 * for a bad token, so the page logs out) when the token expires, and, every `intervalMs`, when the
 * account was deleted or its role changed since: one query per sweep for all the process's users.
 */
export function startAccountWatch(connections: ConnectionRegistry, accounts: AccountCheck, intervalMs: number, logger: Logger): AccountWatch {
  const expiryTimers = new Map<Connection, NodeJS.Timeout>();

  function closeUnauthorized(connection: Connection, message: string, reason: string): void {
    const { socket } = connection;
    if (socket.readyState !== WebSocket.OPEN) return;
    connection.deliver(encode({ type: 'error', error: 'unauthorized', message }));
    socket.close(CLOSE_UNAUTHORIZED, reason);
    setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
  }

  function scheduleExpiry(connection: Connection, expiresAtMs: number): void {
    const wait = expiresAtMs - Date.now();
    if (wait <= 0) {
      expiryTimers.delete(connection);
      return closeUnauthorized(connection, 'The token has expired: log in again', 'token expired');
    }
    const timer = setTimeout(() => scheduleExpiry(connection, expiresAtMs), Math.min(wait, MAX_TIMER_MS));
    timer.unref();
    expiryTimers.set(connection, timer);
  }

  let sweeping = false;
  async function sweep(): Promise<void> {
    const ids = connections.userIds();
    if (sweeping || ids.length === 0) return;
    sweeping = true;
    try {
      const current = await accounts.lookUp(ids);
      for (const id of ids) {
        const account = current.get(id);
        for (const connection of connections.ownedBy(id) ?? []) {
          if (!account) closeUnauthorized(connection, 'This account no longer exists', 'account deleted');
          else if (account.role !== connection.user?.role) closeUnauthorized(connection, 'This account’s role has changed: log in again', 'role changed');
        }
      }
    } catch (error) {
      // The database is away: the sockets stay; the next sweep asks again.
      logger.debug({ err: error }, 'live feed: account check failed');
    } finally {
      sweeping = false;
    }
  }
  const interval = setInterval(() => void sweep(), intervalMs);
  interval.unref();

  return {
    track(connection, tokenExpiresAtMs) {
      if (tokenExpiresAtMs !== undefined) scheduleExpiry(connection, tokenExpiresAtMs);
    },
    untrack(connection) {
      clearTimeout(expiryTimers.get(connection));
      expiryTimers.delete(connection);
    },
    stop() {
      clearInterval(interval);
      for (const timer of expiryTimers.values()) clearTimeout(timer);
      expiryTimers.clear();
    },
  };
}
