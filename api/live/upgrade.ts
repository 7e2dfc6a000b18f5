import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../../lib/logger.js';
import type { AccountCheck } from '../accounts.js';
import type { AuthUser, Tokens } from '../auth.js';
import { Unauthorized } from '../errors.js';
import { CLOSE_UNAUTHORIZED, LIVE_FEED_PATH, type ErrorMessage } from './protocol.js';

export interface UpgradeDeps {
  tokens: Tokens;
  accounts: AccountCheck;
  logger: Logger;
  /** A socket that passed the handshake; `user` (the account now) is undefined without a `?token=`, as is its token's expiry. */
  onConnection(socket: WebSocket, user: AuthUser | undefined, tokenExpiresAtMs: number | undefined): void;
}

export interface SocketGate {
  /** No new sockets from now on (upgrades still in flight are answered 503). */
  stop(): void;
  close(): Promise<void>;
}

function rejectUpgrade(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Takes the HTTP server's upgrades to `/ws[?token=JWT]` and turns them into sockets. */
export function acceptLiveSockets(server: Server, deps: UpgradeDeps): SocketGate {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 4096, clientTracking: false });
  let closing = false;

  async function onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== LIVE_FEED_PATH) return rejectUpgrade(socket, '404 Not Found');
    if (closing) return rejectUpgrade(socket, '503 Service Unavailable');
    const token = url.searchParams.get('token');
    let user: AuthUser | undefined;
    let expiresAtMs: number | undefined;
    let tokenRejected = false;
    if (token) {
      try {
        const verified = await deps.tokens.verifyClaims(token);
        // The account as it is now: a deleted one gets no socket (while Postgres is away, the
        // token's word stands: AccountCheck.current; the account watch asks again later).
        user = await deps.accounts.current(verified.user).catch((error: unknown) => {
          if (error instanceof Unauthorized) return undefined;
          throw error;
        });
        expiresAtMs = verified.expiresAtMs;
        tokenRejected = user === undefined;
      } catch (error) {
        if (!(error instanceof Unauthorized)) throw error;
        tokenRejected = true;
      }
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      if (!tokenRejected) return deps.onConnection(ws, user, expiresAtMs);
      // Browsers cannot read an HTTP error on a WebSocket handshake: accept, say why, then close.
      ws.send(JSON.stringify({ type: 'error', error: 'unauthorized', message: 'The token is not valid: log in again' } satisfies ErrorMessage));
      ws.close(CLOSE_UNAUTHORIZED, 'unauthorized');
    });
  }

  const upgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    onUpgrade(request, socket, head).catch((error: unknown) => {
      deps.logger.error({ err: error }, 'live feed: upgrade failed');
      socket.destroy();
    });
  };
  server.on('upgrade', upgradeListener);

  return {
    stop() {
      closing = true;
      server.off('upgrade', upgradeListener);
    },
    close: () => new Promise<void>((resolve) => wss.close(() => resolve())),
  };
}
