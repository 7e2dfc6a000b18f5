import { WebSocket } from 'ws';
import type { Connection } from './connection.js';

/** How long a client may take to answer the close handshake before its socket is cut. */
const CLOSE_GRACE_MS = 1000;

/** The open sockets of this process, and by user: reservation updates go to their owner's tabs only. */
export class ConnectionRegistry {
  private readonly all = new Set<Connection>();
  private readonly byUser = new Map<string, Set<Connection>>();

  get size(): number {
    return this.all.size;
  }

  [Symbol.iterator](): IterableIterator<Connection> {
    return this.all.values();
  }

  add(connection: Connection): void {
    this.all.add(connection);
    const { user } = connection;
    if (user) (this.byUser.get(user.id) ?? this.byUser.set(user.id, new Set()).get(user.id))?.add(connection);
  }

  remove(connection: Connection): void {
    this.all.delete(connection);
    const { user } = connection;
    if (!user) return;
    const mine = this.byUser.get(user.id);
    mine?.delete(connection);
    if (mine?.size === 0) this.byUser.delete(user.id);
  }

  /** Undefined when the user has no socket here. */
  ownedBy(userId: string): ReadonlySet<Connection> | undefined {
    return this.byUser.get(userId);
  }

  /** The users with a socket here. */
  userIds(): string[] {
    return [...this.byUser.keys()];
  }

  /** Bytes queued for all sockets together: what slow readers cost this process right now. */
  bufferedBytes(): number {
    let total = 0;
    for (const connection of this.all) total += connection.socket.bufferedAmount;
    return total;
  }

  /** Resolves once every socket is closed, each within the grace period. */
  async closeAll(): Promise<void> {
    const closed = [...this.all].map(
      ({ socket }) =>
        new Promise<void>((resolve) => {
          if (socket.readyState === WebSocket.CLOSED) return resolve();
          socket.once('close', () => resolve());
          socket.close(1001, 'server shutting down');
          // A client that does not answer the close handshake must not hold up the shutdown.
          setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
        }),
    );
    await Promise.all(closed);
  }
}
