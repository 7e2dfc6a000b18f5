import { WebSocket, type ClientOptions } from 'ws';
import { pollUntil } from '../../lib/poll.js';

export type SeatStatus = 'available' | 'held' | 'sold';

/** What the server sends (docs/live-seat-map.md), loosely typed: tests check the shapes. */
export interface LiveMessage {
  type: string;
  eventId?: string;
  version?: number;
  seats?: { id: string; status: SeatStatus }[];
  changes?: { id: string; status: SeatStatus }[];
  capacity?: number;
  available?: number;
  held?: number;
  sold?: number;
  id?: string;
  status?: string;
  error?: string;
  /** `{ type: 'notification' }`: the stored notification. */
  notification?: { id: string; type: string; eventId?: string; reservationId?: string; message: string; createdAt: string };
}

/** One event as a client sees it: the last snapshot with every later change applied. */
export interface EventView {
  version: number;
  seats: Map<string, SeatStatus>;
  counts: { available: number; held: number; sold: number };
  /** Versions of the snapshots and changes received, in order. */
  versions: number[];
}

/**
 * A test client that rebuilds each subscribed event's seat map the way the seat-picker page does,
 * and records every protocol breach: a change whose version is not the previous one plus one, or a
 * change before any snapshot.
 */
export class LiveClient {
  readonly messages: LiveMessage[] = [];
  readonly views = new Map<string, EventView>();
  readonly breaches: string[] = [];
  private waiters: { test: (message: LiveMessage) => boolean; resolve: (message: LiveMessage) => void }[] = [];
  closeCode: number | undefined;
  readonly closed: Promise<number>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.onMessage(JSON.parse(data.toString()) as LiveMessage));
    this.closed = new Promise((resolve) =>
      socket.once('close', (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
  }

  static async connect(wsUrl: string, options: { token?: string; ws?: ClientOptions } = {}): Promise<LiveClient> {
    const url = options.token ? `${wsUrl}?token=${encodeURIComponent(options.token)}` : wsUrl;
    const socket = new WebSocket(url, { perMessageDeflate: false, ...options.ws });
    const client = new LiveClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  subscribe(eventId: string): void {
    this.send({ type: 'subscribe', eventId });
  }

  /** Resolves with the first message (already received or to come) that passes `test`. */
  next(test: (message: LiveMessage) => boolean, timeoutMs = 10_000, fromIndex = 0): Promise<LiveMessage> {
    const seen = this.messages.slice(fromIndex).find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message within ${timeoutMs} ms; last: ${JSON.stringify(this.messages.slice(-3))}`)), timeoutMs);
      this.waiters.push({
        test,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
      });
    });
  }

  /** Waits until the client's view of the event has reached `version`. */
  async reach(eventId: string, version: number, timeoutMs = 15_000): Promise<EventView> {
    return pollUntil(
      async () => {
        const view = this.views.get(eventId);
        return view && view.version >= version ? view : undefined;
      },
      { timeoutMs, intervalMs: 20, what: () => `event ${eventId} to reach version ${version} (at ${this.views.get(eventId)?.version ?? 'none'})` },
    );
  }

  close(): Promise<number> {
    this.socket.close();
    return this.closed;
  }

  private onMessage(message: LiveMessage): void {
    this.messages.push(message);
    const eventId = message.eventId ?? '';
    if (message.type === 'snapshot') {
      const seats = new Map((message.seats ?? []).map((seat) => [seat.id, seat.status]));
      const versions = [...(this.views.get(eventId)?.versions ?? []), message.version ?? -1];
      this.views.set(eventId, { version: message.version ?? -1, seats, counts: countsOf(message), versions });
    } else if (message.type === 'seats' || message.type === 'availability') {
      const view = this.views.get(eventId);
      if (!view) {
        this.breaches.push(`${eventId}: ${message.type} v${message.version} before any snapshot`);
      } else {
        if (message.version !== view.version + 1) this.breaches.push(`${eventId}: v${message.version} after v${view.version}`);
        view.version = message.version ?? -1;
        view.versions.push(view.version);
        view.counts = countsOf(message);
        for (const change of message.changes ?? []) view.seats.set(change.id, change.status);
      }
    }
    const ready = this.waiters.filter((waiter) => waiter.test(message));
    this.waiters = this.waiters.filter((waiter) => !ready.includes(waiter));
    for (const waiter of ready) waiter.resolve(message);
  }
}

const countsOf = (message: LiveMessage) => ({ available: message.available ?? -1, held: message.held ?? -1, sold: message.sold ?? -1 });
