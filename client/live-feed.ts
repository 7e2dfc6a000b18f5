import WebSocket from 'ws';
import type { AvailabilityMessage, CLOSE_UNAUTHORIZED, ClientMessage, LIVE_FEED_PATH, ReservationUpdateMessage, SeatsMessage, ServerMessage, SnapshotMessage } from '../api/live/protocol.js';
import { nextStep } from '../lib/feed-versions.js';

// The protocol's constants, typed by the server's own, so they cannot drift (the client runs no API code).
const FEED_PATH: typeof LIVE_FEED_PATH = '/ws';
const CLOSED_UNAUTHORIZED: typeof CLOSE_UNAUTHORIZED = 4401;
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

export type ChangeMessage = SeatsMessage | AvailabilityMessage;
export type FeedState = 'connecting' | 'loading' | 'live' | 'offline';

export interface LiveFeedHandlers {
  state(state: FeedState, detail?: string): void;
  snapshot(message: SnapshotMessage): void;
  change(message: ChangeMessage): void;
  reservation(message: ReservationUpdateMessage): void;
  unauthorized(): void;
}

/**
 * The seat-map WebSocket (docs/live-seat-map.md), as the page follows it: one event at a time, a
 * snapshot then ordered changes, a new snapshot on a version gap, reconnection with back-off.
 */
export class LiveFeed {
  private socket: WebSocket | undefined;
  private retryMs = FIRST_RETRY_MS;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private eventId: string | undefined;
  private version: number | undefined;
  private resyncing = false;
  private closed = false;

  constructor(
    private readonly baseUrl: string,
    private readonly token: () => string | undefined,
    private readonly handlers: LiveFeedHandlers,
  ) {}

  connect(): void {
    clearTimeout(this.timer);
    if (this.closed) return;
    // Under the API's base, as the HTTP calls are (a proxy may serve it below a path).
    const url = new URL(`${this.baseUrl.replace(/^http/, 'ws')}${FEED_PATH}`);
    const token = this.token();
    if (token) url.searchParams.set('token', token);
    const socket = new WebSocket(url, { perMessageDeflate: false });
    this.socket = socket;
    this.handlers.state('connecting');
    socket.on('open', () => {
      this.retryMs = FIRST_RETRY_MS;
      if (this.eventId) this.subscribe(this.eventId);
      else this.handlers.state('live');
    });
    socket.on('message', (data: WebSocket.RawData) => {
      let message: ServerMessage;
      try {
        message = JSON.parse(data.toString()) as ServerMessage;
      } catch {
        return;
      }
      this.receive(message);
    });
    socket.on('error', () => {
      // 'close' follows and schedules the retry.
    });
    socket.on('close', (code: number) => {
      if (this.socket !== socket || this.closed) return;
      if (code === CLOSED_UNAUTHORIZED) this.handlers.unauthorized();
      this.handlers.state('offline', `reconnecting in ${(this.retryMs / 1000).toFixed(1)} s`);
      this.timer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    });
  }

  /** Reconnects with the current token, so the user's reservation updates follow a new log-in. */
  reconnect(): void {
    const old = this.socket;
    this.socket = undefined;
    old?.close();
    this.connect();
  }

  watch(eventId: string): void {
    if (this.eventId && this.eventId !== eventId) this.send({ type: 'unsubscribe', eventId: this.eventId });
    this.eventId = eventId;
    this.version = undefined;
    this.subscribe(eventId);
  }

  leave(): void {
    if (this.eventId) this.send({ type: 'unsubscribe', eventId: this.eventId });
    this.eventId = undefined;
    this.version = undefined;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.socket?.close();
    this.socket = undefined;
  }

  private send(message: ClientMessage): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private subscribe(eventId: string): void {
    this.resyncing = true;
    this.handlers.state('loading');
    this.send({ type: 'subscribe', eventId });
  }

  private receive(message: ServerMessage): void {
    switch (message.type) {
      case 'reservation':
        this.handlers.reservation(message);
        return;
      case 'error':
        if (message.eventId !== undefined && message.eventId === this.eventId) this.handlers.state('offline', message.message);
        return;
      case 'queue': // the waiting room's messages (docs/waiting-room.md)
      case 'queue_place':
      case 'unsubscribed':
      case 'notification': // the terminal client has no notification list (the page has)
      case 'offer': // nor a waiting list
        return;
    }
    if (!this.eventId || message.eventId !== this.eventId) return;
    if (message.type === 'snapshot') {
      this.resyncing = false;
      this.version = message.version;
      this.handlers.snapshot(message);
      this.handlers.state('live');
      return;
    }
    if (this.resyncing) return;
    const step = nextStep(this.version, message.version);
    if (step === 'ignore') return;
    if (step === 'resync') return this.subscribe(this.eventId);
    this.version = message.version;
    this.handlers.change(message);
  }
}
