import { randomInt } from 'node:crypto';
import type postgres from 'postgres';
import { isUniqueViolation } from '../../../db/errors.js';
import { announceQueue, endQueue, holdDrawOff } from '../../../db/waitroom.js';
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

  type Joined = { place: PlaceRow; queue: QueueRow; created: boolean; woke: boolean };

  /**
   * A join before the opening (see join), in one statement after the draw's shared lock: the
   * place, or the queue as it is when the join cannot be a pre-queue one (opened, ended, or the
   * account already has a place).
   */
  async function joinPreQueue(eventId: string, accountId: string, arrivedAt: Date): Promise<Joined | { queue: QueueRow | undefined }> {
    return sql.begin(async (tx) => {
      await holdDrawOff(tx, eventId);
      const [row] = await tx<(RawQueue & Partial<RawPlace>)[]>`
        WITH queue AS (
          SELECT state, admitted_through, total, rate_per_minute, admission_window FROM waitroom.queues WHERE event_id = ${eventId}
        ), placed AS (
          INSERT INTO waitroom.places (event_id, account_id, place, draw_key, status, joined_at)
          SELECT ${eventId}, ${accountId}, NULL, ${drawKey()}, 'pre_queue', ${arrivedAt.toISOString()}::timestamptz FROM queue WHERE queue.state = 'pre_opening'
          ON CONFLICT (event_id, account_id) DO NOTHING
          RETURNING event_id, account_id, place, status, joined_at, expires_at
        )
        SELECT queue.*, placed.* FROM queue LEFT JOIN placed ON true`;
      if (!row) return { queue: undefined };
      const queue = queueOf(row);
      if (row.event_id === undefined || row.event_id === null) return { queue };
      return { place: placeOf(row as RawPlace), queue, created: true, woke: false };
    });
  }

  /** A join after the opening (see join): undefined if the queue is no longer open. */
  async function joinLine(eventId: string, accountId: string): Promise<Joined | undefined> {
    try {
      const [row] = await sql<(RawPlace & RawQueue)[]>`
        WITH counted AS (
          UPDATE waitroom.queues SET total = total + 1, updated_at = now()
          WHERE event_id = ${eventId} AND state = 'open'
          RETURNING state, admitted_through, total, rate_per_minute, admission_window
        ), placed AS (
          INSERT INTO waitroom.places (event_id, account_id, place, draw_key, status)
          SELECT ${eventId}, ${accountId}, total, ${drawKey()}, 'waiting' FROM counted
          RETURNING event_id, account_id, place, status, joined_at, expires_at
        )
        SELECT placed.*, counted.* FROM placed, counted`;
      if (!row) return undefined;
      const queue = queueOf(row);
      return { place: placeOf(row), queue, created: true, woke: queue.total - 1 <= queue.admittedThrough };
    } catch (error) {
      // The same account joining twice at once: the second insert fails on the primary key, and
      // the whole statement with it (the counter too, so no place number is skipped).
      if (isUniqueViolation(error)) {
        const [existing, queue] = await Promise.all([placeRow(sql, eventId, accountId), queueRow(sql, eventId)]);
        if (existing && queue) return { place: existing, queue, created: false, woke: false };
      }
      throw error;
    }
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
     * Takes a place for the account, or finds the one it has (the primary key allows one).
     *
     * Before the opening: a plain insert with a random draw key and no place, under a *shared*
     * advisory lock of the queue that the draw (openQueue) takes exclusively, so joins never wait
     * for each other, and a join committed before the draw is in it: the draw waits for every join
     * holding the shared lock, and a join that gets the lock after the draw sees the queue open.
     *
     * After the opening: the next place from the queue row's counter, in one statement (the row's
     * lock is held for that statement and the commit only, not for a transaction). `woke` says the
     * queue had nobody waiting before this place: the on-sale workflow may be asleep.
     */
    async join(eventId: string, accountId: string, arrivedAt: Date): Promise<{ place: PlaceRow; queue: QueueRow; created: boolean; woke: boolean }> {
      for (let attempt = 0; ; attempt++) {
        const tried = await joinPreQueue(eventId, accountId, arrivedAt);
        if ('place' in tried) return tried;
        const { queue } = tried;
        if (!queue) throw new DomainError(Failure.QueueNotFound);
        const known = await placeRow(sql, eventId, accountId);
        if (known) return { place: known, queue, created: false, woke: false };
        if (queue.state === 'sold_out') throw new DomainError(Failure.SoldOut, 'The event is sold out: the queue takes no more places');
        if (queue.state === 'closed') throw new DomainError(Failure.QueueNotFound, 'This event’s waiting room is closed');
        if (queue.state === 'open') {
          const joined = await joinLine(eventId, accountId);
          if (joined) return joined;
        }
        // The queue changed state between the read and the write (a sell-out, a queue set anew): again.
        if (attempt >= 3) throw new Error(`join of ${eventId} kept racing its queue's state`);
      }
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
