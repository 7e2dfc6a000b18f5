import type {
  AvailabilityMessage,
  CLOSE_UNAUTHORIZED,
  ClientMessage,
  LIVE_FEED_PATH,
  NotificationPushMessage,
  OfferMessage,
  QueueMessage,
  QueuePlaceMessage,
  ReservationUpdateMessage,
  SeatsMessage,
  ServerMessage,
  SnapshotMessage,
} from '../../api/live/protocol.js';
import { nextStep } from '../../lib/feed-versions.js';
import type { LiveIndicator } from './dom.js';

// The protocol's constants, typed by the server's own: they cannot drift from api/live/protocol.ts
// without failing the type check (the page bundles no API code).
const FEED_PATH: typeof LIVE_FEED_PATH = '/ws';
const CLOSED_UNAUTHORIZED: typeof CLOSE_UNAUTHORIZED = 4401;

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

export type ChangeMessage = SeatsMessage | AvailabilityMessage;

export interface LiveFeedHandlers {
  /** The bearer token to connect with (null: anonymous). */
  token(): string | null;
  status(kind: LiveIndicator, text: string): void;
  snapshot(message: SnapshotMessage): void;
  change(message: ChangeMessage): void;
  reservation(message: ReservationUpdateMessage): void;
  notification(message: NotificationPushMessage): void;
  /** Released seats are held for this user (the waiting list). */
  offer(message: OfferMessage): void;
  /** The waiting room's one broadcast per change of the followed queue (newer versions only). */
  queue(message: QueueMessage): void;
  /** The user's own place in the followed queue changed status (admitted, sold out, ...). */
  queuePlace(message: QueuePlaceMessage): void;
  /** The socket (re)connected while a queue is followed: a broadcast may have been missed meanwhile. */
  queueResumed(): void;
  /** The server closed the socket because the token no longer verifies. */
  unauthorized(): void;
}

/** The seat-map WebSocket: reconnects with back-off, follows one event, re-syncs on a version gap. */
export class LiveFeed {
  private socket: WebSocket | undefined;
  private retryMs = FIRST_RETRY_MS;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The event on screen, if any. */
  private eventId: string | undefined;
  private version: number | undefined;
  /** Waiting for a fresh snapshot: changes are ignored until it comes. */
  private resyncing = false;
  /** The event whose waiting room is followed (docs/waiting-room.md), and the last broadcast's version. */
  private queueEventId: string | undefined;
  private queueVersion = -1;
  /** Connections opened so far (a reconnection is any after the first). */
  private opened = 0;

  constructor(private readonly handlers: LiveFeedHandlers) {}

  connect(): void {
    clearTimeout(this.timer);
    const protocol = location.protocol === 'https:' ? 'wss' : 'ws';
    const token = this.handlers.token();
    const query = token ? `?token=${encodeURIComponent(token)}` : '';
    const socket = new WebSocket(`${protocol}://${location.host}${FEED_PATH}${query}`);
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.opened++;
      this.retryMs = FIRST_RETRY_MS;
      if (this.eventId) this.subscribe(this.eventId);
      if (this.queueEventId) {
        this.send({ type: 'subscribe_queue', eventId: this.queueEventId });
        // Only a reconnection can have missed something; the first connection is the initial state.
        if (this.opened > 1) this.handlers.queueResumed();
      }
    });
    socket.addEventListener('message', (message: MessageEvent<string>) => this.receive(JSON.parse(message.data) as ServerMessage));
    socket.addEventListener('close', (closed) => {
      if (this.socket !== socket) return; // replaced on purpose (log in / log out)
      if (closed.code === CLOSED_UNAUTHORIZED) this.handlers.unauthorized();
      this.handlers.status('offline', 'Offline — reconnecting…');
      this.timer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    });
  }

  /** Reconnects with the current token, so reservation updates follow the logged-in user. */
  reconnect(): void {
    const old = this.socket;
    this.socket = undefined;
    old?.close();
    this.connect();
  }

  /** Follows `eventId`: a snapshot, then its changes. Following it again re-syncs it. */
  watch(eventId: string): void {
    this.eventId = eventId;
    this.version = undefined;
    this.subscribe(eventId);
  }

  /** Stops following the event on screen (unless `next` is that same event). */
  leave(next?: string): void {
    if (this.eventId && this.eventId !== next) this.send({ type: 'unsubscribe', eventId: this.eventId });
    this.eventId = undefined;
    this.version = undefined;
  }

  /**
   * Follows an event's waiting room: its one broadcast per change (everyone computes their own
   * position from it) and, with a token, the user's own place. No seat map meanwhile: thousands of
   * waiting buyers do not need every seat change.
   */
  watchQueue(eventId: string): void {
    if (this.queueEventId === eventId) return;
    this.leaveQueue();
    this.queueEventId = eventId;
    this.queueVersion = -1;
    this.send({ type: 'subscribe_queue', eventId });
  }

  /**
   * Asks for the queue again after joining it: the server reads the user's place when a socket
   * subscribes, and from then on pushes its changes (the admission) to this socket.
   */
  resubscribeQueue(): void {
    if (this.queueEventId) this.send({ type: 'subscribe_queue', eventId: this.queueEventId });
  }

  leaveQueue(): void {
    if (this.queueEventId) this.send({ type: 'unsubscribe_queue', eventId: this.queueEventId });
    this.queueEventId = undefined;
    this.queueVersion = -1;
  }

  /** Whether the seat map of `eventId` is being followed (its snapshot asked for). */
  watching(eventId: string): boolean {
    return this.eventId === eventId;
  }

  private send(message: ClientMessage): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private subscribe(eventId: string): void {
    this.resyncing = true;
    this.handlers.status('resyncing', 'Loading the seat map…');
    this.send({ type: 'subscribe', eventId });
  }

  private receive(message: ServerMessage): void {
    switch (message.type) {
      case 'reservation':
        this.handlers.reservation(message);
        return;
      case 'notification':
        this.handlers.notification(message);
        return;
      case 'offer':
        this.handlers.offer(message);
        return;
      case 'error':
        if (message.error === 'event_not_found' && message.eventId !== undefined && message.eventId === this.eventId) this.handlers.status('offline', 'This event no longer exists.');
        return;
      case 'queue':
        // One broadcast per change of the queue: a version not above the last one seen is stale.
        if (message.eventId !== this.queueEventId || message.version <= this.queueVersion) return;
        this.queueVersion = message.version;
        this.handlers.queue(message);
        return;
      case 'queue_place':
        if (message.eventId === this.queueEventId) this.handlers.queuePlace(message);
        return;
      case 'unsubscribed':
        return;
    }
    if (!this.eventId || message.eventId !== this.eventId) return;
    if (message.type === 'snapshot') {
      this.resyncing = false;
      this.version = message.version;
      this.handlers.snapshot(message);
      this.handlers.status('live', 'Live');
      return;
    }
    if (this.resyncing) return;
    const step = nextStep(this.version, message.version);
    if (step === 'ignore') return;
    if (step === 'resync') {
      // A change went missing: ask for a fresh snapshot rather than show a wrong map.
      this.subscribe(this.eventId);
      return;
    }
    this.version = message.version;
    this.handlers.change(message);
  }
}
