import type postgres from 'postgres';
import { QUEUE_CHANNEL, type QueueChangeMessage } from './channels.js';
import type { QueueState } from '../lib/waiting-room.js';

/**
 * What the API and the on-sale workflow's activities both do to a queue (docs/waiting-room.md).
 * Each runs inside the caller's transaction, which holds the queue row's lock.
 */

type Tx = postgres.TransactionSql;

interface QueueRow {
  version: string | number;
  state: QueueState;
  admitted_through: number;
  total: number;
  rate_per_minute: number;
  opens_at: Date | string | null;
}

/**
 * The draw's lock, an advisory lock per event (not the queue row's: a share lock on a row is a
 * tuple write per locker, and the lock manager queues an exclusive request fairly, so a join storm
 * cannot starve the draw). Pre-opening joins hold it shared until they commit; the draw takes it
 * exclusively, so it waits for every join in flight and every later join sees the queue open.
 */
const drawLock = (tx: Tx, eventId: string, mode: 'shared' | 'exclusive') =>
  mode === 'shared'
    ? tx`SELECT pg_advisory_xact_lock_shared(hashtextextended(${'waitroom.draw:' + eventId}, 0))`
    : tx`SELECT pg_advisory_xact_lock(hashtextextended(${'waitroom.draw:' + eventId}, 0))`;

/** A pre-opening join: the draw waits for this transaction (see drawLock). */
export async function holdDrawOff(tx: Tx, eventId: string): Promise<void> {
  await drawLock(tx, eventId, 'shared');
}

/** The draw: every pre-opening join still in flight commits first (see drawLock). */
export async function lockForDraw(tx: Tx, eventId: string): Promise<void> {
  await drawLock(tx, eventId, 'exclusive');
}

/** The queue as its broadcast says it (announceQueue), or as a socket that just subscribed is told. */
export async function readQueueMessage(sql: postgres.Sql | Tx, eventId: string): Promise<QueueChangeMessage | undefined> {
  const [row] = await sql<QueueRow[]>`
    SELECT q.version, q.state, q.admitted_through, q.total, q.rate_per_minute, e.queue_opens_at AS opens_at
    FROM waitroom.queues q JOIN catalog.events e ON e.id = q.event_id WHERE q.event_id = ${eventId}`;
  if (!row) return undefined;
  return {
    eventId,
    version: Number(row.version),
    state: row.state,
    admittedThrough: row.admitted_through,
    total: row.total,
    admitPerMinute: Math.round(row.rate_per_minute * 10) / 10,
    // A removed queue keeps its last opening for the record of the broadcast.
    opensAt: row.opens_at ? new Date(row.opens_at).toISOString() : new Date(0).toISOString(),
  };
}

/** Tells every API process (NOTIFY, delivered on commit) what the queue now is: one broadcast. */
export async function announceQueue(tx: Tx, eventId: string): Promise<QueueChangeMessage | undefined> {
  const message = await readQueueMessage(tx, eventId);
  if (message) await tx`SELECT pg_notify(${QUEUE_CHANNEL}, ${JSON.stringify(message)})`;
  return message;
}

/**
 * Ends a queue (removed, event cancelled or started) or marks it sold out: everyone still waiting
 * or not yet drawn gets that status, one statement; admitted buyers keep their window.
 */
export async function endQueue(tx: Tx, eventId: string, state: 'closed' | 'sold_out'): Promise<void> {
  // A pre-opening join in flight lands before this, so its place is ended with the others.
  await lockForDraw(tx, eventId);
  await tx`
    UPDATE waitroom.places SET status = ${state}
    WHERE event_id = ${eventId} AND status IN ('pre_queue', 'waiting')`;
  await tx`
    UPDATE waitroom.queues SET state = ${state}, version = version + 1, updated_at = now()
    WHERE event_id = ${eventId}`;
  await announceQueue(tx, eventId);
}
