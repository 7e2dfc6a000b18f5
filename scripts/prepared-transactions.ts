import { spawnSync } from 'node:child_process';
import postgres from 'postgres';
import { pollUntil } from '../lib/poll.js';

/** Enough for every connection to hold one prepared transaction (what the Postgres docs advise). */
const WANTED = 100;
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export class PreparedTransactionsUnavailable extends Error {
  override name = 'PreparedTransactionsUnavailable';
}

async function currentSetting(url: string): Promise<{ max: number; superuser: boolean }> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const [row] = await sql<{ max: number; superuser: boolean }[]>`
      SELECT current_setting('max_prepared_transactions')::int AS max, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user`;
    return row ?? { max: 0, superuser: false };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** The Debian cluster (version and name) listening on `port`, from pg_lsclusters. */
function localCluster(port: number): { version: string; name: string } | undefined {
  const listed = spawnSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' });
  if (listed.status !== 0) return undefined;
  for (const line of listed.stdout.split('\n')) {
    const [version, name, clusterPort] = line.trim().split(/\s+/);
    if (version && name && Number(clusterPort) === port) return { version, name };
  }
  return undefined;
}

async function waitUntilAccepting(url: string, timeoutMs: number): Promise<void> {
  let lastError: unknown;
  try {
    await pollUntil(
      async () => {
        try {
          await currentSetting(url);
          return true;
        } catch (error) {
          lastError = error;
          return undefined;
        }
      },
      { timeoutMs, intervalMs: 250, what: 'Postgres to accept connections' },
    );
  } catch (error) {
    // The connection's own error says more (refused, auth, no such database) than the timeout.
    throw lastError ?? error;
  }
}

/**
 * Two-phase commit needs `max_prepared_transactions` > 0, which Postgres ships at 0 and reads only
 * at start-up. When it is off on a local server we may administer, this sets it with ALTER SYSTEM
 * and restarts the cluster (pg_ctlcluster), saying so, since the restart drops every open
 * connection. Anywhere else it throws with the steps to take.
 */
export async function ensurePreparedTransactions(ownerUrl: string, say: (line: string) => void): Promise<void> {
  const before = await currentSetting(ownerUrl);
  if (before.max > 0) return;
  const url = new URL(ownerUrl);
  const howTo =
    `Two-phase commit needs Postgres' max_prepared_transactions > 0 (it is 0 at ${url.host}). As a superuser run\n` +
    `  ALTER SYSTEM SET max_prepared_transactions = ${WANTED};\n` +
    `then restart Postgres, e.g. pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main restart`;
  const cluster = LOCAL_HOSTS.has(url.hostname) ? localCluster(Number(url.port || 5432)) : undefined;
  if (!before.superuser || !cluster) throw new PreparedTransactionsUnavailable(howTo);

  const sql = postgres(ownerUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`ALTER SYSTEM SET max_prepared_transactions = ${WANTED}`);
  } finally {
    await sql.end({ timeout: 5 });
  }
  say(`Postgres: max_prepared_transactions was 0; set it to ${WANTED} (ALTER SYSTEM) and restarting cluster ${cluster.version}/${cluster.name} for two-phase commit. Open connections to it are dropped.`);
  const restart = spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', cluster.version, cluster.name, 'restart'], { encoding: 'utf8' });
  if (restart.status !== 0) throw new PreparedTransactionsUnavailable(`${howTo}\n(pg_ctlcluster restart failed: ${restart.stderr.trim() || restart.status})`);
  await waitUntilAccepting(ownerUrl, 30_000);
  const after = await currentSetting(ownerUrl);
  if (after.max === 0) throw new PreparedTransactionsUnavailable(`${howTo}\n(the restart did not apply it)`);
}
