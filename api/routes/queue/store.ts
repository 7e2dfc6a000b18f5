import { randomInt } from 'node:crypto';
import type postgres from 'postgres';
import { announceQueue, endQueue } from '../../../db/waitroom.js';
import { Failure } from '../../../lib/failures.js';
import type { QueuePlaceStatus, QueueState } from '../../../lib/waiting-room.js';
import { DomainError } from '../../errors.js';

/** A place's row with what presenting it needs from its queue. */
export interface PlaceRow {
  eventId: string;
  accountId: string;
  place: number | null;
  status: QueuePlaceStatus;
  joinedAt: Date;
  expiresAt: Date | null;
}

export interface QueueRow {
  state: QueueState;
  admittedThrough: number;
  total: number;
  ratePerMinute: number;
  admissionWindow: number | null;
}

interface RawPlace {
  event_id: string;
  account_id: string;
  place: number | null;
  status: QueuePlaceStatus;
  joined_at: Date | string;
  expires_at: Date | string | null;
}
interface RawQueue {
  state: QueueState;
  admitted_through: number;
  total: number;
  rate_per_minute: number;
  admission_window: number | null;
}

const placeOf = (row: RawPlace): PlaceRow => ({
  eventId: row.event_id,
  accountId: row.account_id,
  place: row.place,
  status: row.status,
  joinedAt: new Date(row.joined_at),
  expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
});
const queueOf = (row: RawQueue): QueueRow => ({
  state: row.state,
  admittedThrough: row.admitted_through,
  total: row.total,
  ratePerMinute: row.rate_per_minute,
  admissionWindow: row.admission_window,
});

type Sql = postgres.Sql | postgres.TransactionSql;

/** 48 random bits: the pre-queue's order is the order of these keys (fits a bigint and a JS number). */
const drawKey = (): number => randomInt(0, 2 ** 48 - 1);

/** The waiting room's reads and writes from the API (the workflow's are in activities/waiting-room.ts). */
export function queueStore(sql: postgres.Sql) {
  async function queueRow(tx: Sql, eventId: string): Promise<QueueRow | undefined> {
    const [row] = await tx<RawQueue[]>`
      SELECT state, admitted_through, total, rate_per_minute, admission_window FROM waitroom.queues WHERE event_id = ${eventId}`;
    return row ? queueOf(row) : undefined;
  }

  async function placeRow(tx: Sql, eventId: string, accountId: string): Promise<PlaceRow | undefined> {
    const [row] = await tx<RawPlace[]>`
      SELECT event_id, account_id, place, status, joined_at, expires_at FROM waitroom.places
      WHERE event_id = ${eventId} AND account_id = ${accountId}`;
    return row ? placeOf(row) : undefined;
  }

  return {
    queueRow: (eventId: string) => queueRow(sql, eventId),
    placeRow: (eventId: string, accountId: string) => placeRow(sql, eventId, accountId),

    /** Places of these accounts in one event's queue (the live feed's look-up for its own sockets). */
    async placesOf(eventId: string, accountIds: readonly string[]): Promise<PlaceRow[]> {
      if (accountIds.length === 0) return [];
      const rows = await sql<RawPlace[]>`
        SELECT event_id, account_id, place, status, joined_at, expires_at FROM waitroom.places
        WHERE event_id = ${eventId} AND account_id = ANY(${accountIds as string[]}::uuid[])`;
      return rows.map(placeOf);
    },

    /**
     * Takes a place for the account, or finds the one it has (the primary key allows one). Before
     * the opening the place waits for the draw; after it, it is the next place in line. Under the
     * queue row's lock, so joins and the draw never interleave.
     */
    async join(eventId: string, accountId: string): Promise<{ place: PlaceRow; queue: QueueRow; created: boolean }> {
      const known = await placeRow(sql, eventId, accountId);
      if (known) {
        const queue = await queueRow(sql, eventId);
        if (queue) return { place: known, queue, created: false };
      }
      return sql.begin(async (tx) => {
        const [locked] = await tx<RawQueue[]>`
          SELECT state, admitted_through, total, rate_per_minute, admission_window FROM waitroom.queues WHERE event_id = ${eventId} FOR UPDATE`;
        if (!locked) throw new DomainError(Failure.QueueNotFound);
        let queue = queueOf(locked);
        const existing = await placeRow(tx, eventId, accountId);
        if (existing) return { place: existing, queue, created: false };
        if (queue.state === 'sold_out') throw new DomainError(Failure.SoldOut, 'The event is sold out: the queue takes no more places');
        if (queue.state === 'closed') throw new DomainError(Failure.QueueNotFound, 'This event’s waiting room is closed');
        let place: number | null = null;
        if (queue.state === 'open') {
          const [counted] = await tx<{ total: number }[]>`UPDATE waitroom.queues SET total = total + 1, updated_at = now() WHERE event_id = ${eventId} RETURNING total`;
          place = counted?.total ?? null;
          queue = { ...queue, total: place ?? queue.total };
        }
        const [row] = await tx<RawPlace[]>`
          INSERT INTO waitroom.places (event_id, account_id, place, draw_key, status)
          VALUES (${eventId}, ${accountId}, ${place}, ${drawKey()}, ${place === null ? 'pre_queue' : 'waiting'})
          RETURNING event_id, account_id, place, status, joined_at, expires_at`;
        if (!row) throw new Error('insert returned no row');
        return { place: placeOf(row), queue, created: true };
      });
    },

    /**
     * The first booking accepted with an admission uses the turn: the place is `booked`, and how
     * long the request took is the adaptive rate's latency sample. Later bookings in the window change nothing.
     */
    async markBooked(eventId: string, accountId: string, bookingMs: number): Promise<void> {
      await sql`
        UPDATE waitroom.places SET status = 'booked', booked_at = now(), booking_ms = ${Math.round(bookingMs)}
        WHERE event_id = ${eventId} AND account_id = ${accountId} AND status = 'admitted'`;
    },

    /** The organizer's view: counts by status, the queue row, and admitted buyers' booking latency. */
    async overview(eventId: string) {
      const queue = await queueRow(sql, eventId);
      if (!queue) return undefined;
      const [counts] = await sql<{ pre_queue: number; waiting: number; admitted: number; booked: number; expired: number; p50: number | null; p99: number | null }[]>`
        SELECT count(*) FILTER (WHERE status = 'pre_queue')::int AS pre_queue,
               count(*) FILTER (WHERE status = 'waiting')::int AS waiting,
               count(*) FILTER (WHERE status = 'admitted' AND expires_at > now())::int AS admitted,
               count(*) FILTER (WHERE status = 'booked')::int AS booked,
               count(*) FILTER (WHERE status = 'expired' OR (status = 'admitted' AND expires_at <= now()))::int AS expired,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY booking_ms) FILTER (WHERE booked_at > now() - interval '60 seconds') AS p50,
               percentile_cont(0.99) WITHIN GROUP (ORDER BY booking_ms) FILTER (WHERE booked_at > now() - interval '60 seconds') AS p99
        FROM waitroom.places WHERE event_id = ${eventId}`;
      return { queue, counts: counts ?? { pre_queue: 0, waiting: 0, admitted: 0, booked: 0, expired: 0, p50: null, p99: null } };
    },

    /** Every open or opening queue's counts, for the Prometheus gauges (one query a scrape). */
    async gauges(): Promise<{ eventId: string; waiting: number; admitted: number; ratePerMinute: number }[]> {
      const rows = await sql<{ event_id: string; waiting: number; admitted: number; rate_per_minute: number }[]>`
        SELECT q.event_id, q.rate_per_minute,
               count(p.*) FILTER (WHERE p.status IN ('pre_queue', 'waiting'))::int AS waiting,
               count(p.*) FILTER (WHERE p.status = 'admitted')::int AS admitted
        FROM waitroom.queues q LEFT JOIN waitroom.places p ON p.event_id = q.event_id
        WHERE q.state IN ('pre_opening', 'open')
        GROUP BY q.event_id, q.rate_per_minute`;
      return rows.map((row) => ({ eventId: row.event_id, waiting: row.waiting, admitted: row.admitted, ratePerMinute: row.rate_per_minute }));
    },

    /**
     * The event got a queue, or its queue was set anew after being removed: a queue row before the
     * opening, and places of the removed queue back in the pre-queue (they join the new draw).
     */
    async setUp(tx: postgres.TransactionSql, eventId: string): Promise<void> {
      const [reopened] = await tx<{ event_id: string }[]>`
        INSERT INTO waitroom.queues (event_id) VALUES (${eventId})
        ON CONFLICT (event_id) DO UPDATE SET state = 'pre_opening', admitted_through = 0, total = 0, version = waitroom.queues.version + 1, updated_at = now()
        WHERE waitroom.queues.state = 'closed'
        RETURNING event_id`;
      if (reopened) {
        // Everyone still hoping joins the new draw; places of the old queue are forgotten.
        await tx`UPDATE waitroom.places SET place = NULL WHERE event_id = ${eventId}`;
        await tx`UPDATE waitroom.places SET status = 'pre_queue' WHERE event_id = ${eventId} AND status IN ('closed', 'sold_out')`;
        await announceQueue(tx, eventId);
      }
    },

    /** The queue was removed (before its opening): everyone in it is told it is closed. */
    async remove(tx: postgres.TransactionSql, eventId: string): Promise<void> {
      const [queue] = await tx<{ state: QueueState }[]>`SELECT state FROM waitroom.queues WHERE event_id = ${eventId} FOR UPDATE`;
      if (queue && queue.state !== 'closed') await endQueue(tx, eventId, 'closed');
    },
  };
}

export type QueueStore = ReturnType<typeof queueStore>;
