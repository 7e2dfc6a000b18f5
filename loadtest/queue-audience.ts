import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import type { QueuePlace } from '../api/contract/index.js';
import type { QueueMessage, ServerMessage } from '../api/live/protocol.js';
import { latencyStats, type LatencyStats } from './stats.js';

/** Wall-clock milliseconds with sub-millisecond precision, comparable across the run's timers. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

/** Sockets opened at once: more makes the API's upgrade handling the bottleneck of the set-up. */
const OPEN_BATCH = 200;
const OPEN_TIMEOUT_MS = 30_000;

export interface QueueListener {
  token: string;
  onQueue(message: QueueMessage, at: number): void;
  onPlace(place: QueuePlace): void;
}

/** What the sockets saw of the queue's broadcasts, against when Postgres announced each change. */
export interface SocketReport {
  sockets: number;
  /** Sockets that failed to open or closed before the end. */
  lost: number;
  /** Distinct broadcast versions seen. */
  broadcasts: number;
  /** Broadcast deliveries in all (≈ sockets × broadcasts). */
  deliveries: number;
  /** Versions some socket never got, summed over sockets (a gap a client would bridge with its next broadcast). */
  missed: number;
  /** NOTIFY at the load script → arrival at each socket, over every delivery. */
  delivery: LatencyStats;
  /** Per broadcast: NOTIFY → the last socket to get it (the whole fan-out). */
  lastSocket: LatencyStats;
  /** Per broadcast: the first socket → the last (the API's fan-out alone). */
  spread: LatencyStats;
  /** Messages to the user's own sockets only (`queue_place`). */
  placeMessages: number;
}

/**
 * The buyers' sockets on one event's waiting room, as the page keeps them: `/ws?token=`, then
 * `subscribe_queue`. Every broadcast's arrival is timed per socket; `announced` holds when the load
 * script's own LISTEN heard Postgres announce that version (the same NOTIFY the API relays), so
 * "announced → arrival" is the delivery latency of a queue change to every socket.
 */
export class QueueAudience {
  private readonly sockets: WebSocket[] = [];
  private opened = 0;
  private readonly arrivals = new Map<number, number[]>();
  /** version → when the load script's LISTEN heard it. */
  readonly announced = new Map<number, number>();
  private lost = 0;
  private placeMessages = 0;
  private readonly socketOf = new Map<QueueListener, WebSocket>();
  /** The version each socket saw first: it cannot miss what came before it subscribed. */
  private readonly firstVersion: number[] = [];
  /** The newest version each socket has had. */
  private readonly lastVersion: number[] = [];

  constructor(
    private readonly wsUrl: string,
    private readonly eventId: string,
  ) {}

  async open(listeners: readonly QueueListener[]): Promise<void> {
    for (let first = 0; first < listeners.length; first += OPEN_BATCH) {
      await Promise.all(listeners.slice(first, first + OPEN_BATCH).map((listener, i) => this.openOne(listener, first + i)));
    }
  }

  private openOne(listener: QueueListener, index: number): Promise<void> {
    return new Promise((resolve) => {
      const socket = new WebSocket(`${this.wsUrl}?token=${encodeURIComponent(listener.token)}`, { perMessageDeflate: false });
      const timer = setTimeout(() => {
        this.lost++;
        socket.terminate();
        resolve();
      }, OPEN_TIMEOUT_MS);
      socket.on('open', () => {
        socket.send(JSON.stringify({ type: 'subscribe_queue', eventId: this.eventId }));
        clearTimeout(timer);
        resolve();
      });
      socket.on('error', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.on('close', () => {
        if (this.sockets.includes(socket)) this.lost++;
      });
      socket.on('message', (data) => {
        const at = epochNow();
        const message = JSON.parse(data.toString()) as ServerMessage;
        if (message.type === 'queue' && message.eventId === this.eventId) {
          if (this.firstVersion[index] === undefined) this.firstVersion[index] = message.version;
          // A version this socket already has is the snapshot a (re)subscription is answered with,
          // not the broadcast: only a version's first arrival times the fan-out.
          const seen = this.lastVersion[index];
          if (seen === undefined || message.version > seen) {
            this.lastVersion[index] = message.version;
            const times = this.arrivals.get(message.version) ?? [];
            if (times.length === 0) this.arrivals.set(message.version, times);
            times.push(at);
          }
          listener.onQueue(message, at);
        } else if (message.type === 'queue_place' && message.eventId === this.eventId) {
          this.placeMessages++;
          const { type: _type, ...place } = message;
          listener.onPlace(place);
        }
      });
      this.sockets.push(socket);
      this.socketOf.set(listener, socket);
      this.opened++;
    });
  }

  /**
   * Subscribes the listener's socket again, as the page does after joining: the server reads the
   * user's place when a socket subscribes, and only then pushes its changes (the admission) to it.
   */
  resubscribe(listener: QueueListener): void {
    const socket = this.socketOf.get(listener);
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'subscribe_queue', eventId: this.eventId }));
  }

  close(): void {
    const sockets = this.sockets.splice(0);
    for (const socket of sockets) socket.terminate();
  }

  report(): SocketReport {
    const delivery: number[] = [];
    const lastSocket: number[] = [];
    const spread: number[] = [];
    let deliveries = 0;
    let missed = 0;
    for (const [version, times] of this.arrivals) {
      deliveries += times.length;
      // A socket that subscribed after this version could not have got it.
      const expected = this.firstVersion.filter((first) => first !== undefined && first <= version).length;
      missed += Math.max(0, expected - times.length);
      // A version announced before the run listened is the sockets' subscription snapshot, sent
      // as each subscribed, not a fan-out: neither its spread nor its latency is measured.
      const announced = this.announced.get(version);
      if (announced === undefined) continue;
      const first = Math.min(...times);
      const last = Math.max(...times);
      spread.push(last - first);
      for (const at of times) delivery.push(Math.max(0, at - announced));
      lastSocket.push(Math.max(0, last - announced));
    }
    return {
      sockets: this.opened,
      lost: this.lost,
      broadcasts: this.arrivals.size,
      deliveries,
      missed,
      delivery: latencyStats(delivery),
      lastSocket: latencyStats(lastSocket),
      spread: latencyStats(spread),
      placeMessages: this.placeMessages,
    };
  }
}
