import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';
import { connectionFaultOptions } from '../../db/client.js';
import postgresDriver from '../../db/postgres-driver.js';

/**
 * A coordinator is alive while it holds a session advisory lock keyed by its id on a connection of
 * its own: a process that dies loses its connection and with it the lock. Recovery leaves alone
 * the transactions of every coordinator whose lock is still held, however slow they are, and
 * resolves those of dead ones. (A coordinator cut off from Postgres but still running is judged
 * dead; the decision log keeps that safe: its late commit finds recovery's "abort".)
 */
export interface Liveness {
  id: string;
  /** Resolves once the lock is held; `book` waits for it. */
  ready: Promise<void>;
  /** Takes the lock again if the connection was replaced (a Postgres restart). */
  renew(): Promise<void>;
  close(): Promise<void>;
}

const livenessKey = (coordinatorId: string) => `boxoffice-coordinator:${coordinatorId}`;

export function startLiveness(url: string): Liveness {
  const id = randomUUID();
  // One connection that is never recycled: its session holds the lock.
  const session = postgresDriver(url, { max: 1, max_lifetime: 0, idle_timeout: 0, connect_timeout: connectionFaultOptions.connect_timeout, backoff: connectionFaultOptions.backoff, onnotice: () => {}, connection: { application_name: 'boxoffice-coordinator' } });
  const take = async () => {
    await session`
      SELECT pg_advisory_lock(hashtextextended(${livenessKey(id)}, 0))
      WHERE NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted)`;
  };
  const ready = take();
  ready.catch(() => {});
  return { id, ready, renew: take, close: () => session.end({ timeout: 5 }) };
}

/** Whether the coordinator `id` still holds its liveness lock (asked from another session). */
export async function isAlive(log: postgres.Sql, id: string): Promise<boolean> {
  const [row] = await log.begin(async (tx) => tx<{ free: boolean }[]>`SELECT pg_try_advisory_xact_lock(hashtextextended(${livenessKey(id)}, 0)) AS free`);
  return !row?.free;
}
