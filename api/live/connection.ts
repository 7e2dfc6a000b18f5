import { WebSocket } from 'ws';
import type { AuthUser } from '../auth.js';
import type { Subscriber } from './event-feed.js';
import { encode, type ErrorMessage, type UnsubscribedMessage } from './protocol.js';

/** One browser tab: its socket, who it is, what it watches. */
export class Connection implements Subscriber {
  readonly subscriptions = new Set<string>();
  /** The events whose waiting room this socket follows (queue-rooms.ts). */
  readonly queueSubscriptions = new Set<string>();
  /** Cleared by each heartbeat ping, set again by the pong (heartbeat.ts). */
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

  reply(message: ErrorMessage | UnsubscribedMessage): void {
    this.deliver(encode(message));
  }
}
