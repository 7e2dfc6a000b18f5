import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';

export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** Migrations sit beside the sources; the compiled copy in dist/ looks back at the repository's. */
function migrationsFolder(): string {
  for (const candidate of [path.join(here, 'migrations'), path.join(here, '..', '..', 'db', 'migrations')]) {
    if (existsSync(path.join(candidate, 'meta', '_journal.json'))) return candidate;
  }
  throw new Error(`db/migrations not found next to ${here}`);
}

function describeUnreachable(url: URL, cause: unknown): DatabaseUnavailableError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new DatabaseUnavailableError(
    `Postgres does not answer at ${url.hostname}:${url.port || 5432} (${reason}).\n` +
      `Start it, for example: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n` +
      `or point DATABASE_URL at a running server.`,
  );
}

/** Creates the database named in `databaseUrl` when it does not exist yet. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`Unsupported database name "${name}" in DATABASE_URL`);
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const sql = postgres(maintenance.toString(), { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const rows = await sql`SELECT 1 FROM pg_database WHERE datname = ${name}`.catch((error: unknown) => {
      throw describeUnreachable(url, error);
    });
    if (rows.length === 0) {
      await sql.unsafe(`CREATE DATABASE "${name}"`).catch((error: unknown) => {
        // Another process may have created it between the check and here.
        if (!(error instanceof postgres.PostgresError && error.code === '42P04')) throw error;
      });
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Applies the committed drizzle-kit migrations; running it again is a no-op. */
export async function runMigrations(databaseUrl: string): Promise<void> {
  await ensureDatabase(databaseUrl);
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    // Serialize concurrent migrators (npm start and npm test at once) on one advisory lock.
    await sql`SELECT pg_advisory_lock(742001)`;
    await migrate(drizzle(sql), { migrationsFolder: migrationsFolder() });
    await sql`SELECT pg_advisory_unlock(742001)`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Drops a scratch database (tests, experiments): its name must contain `mustContain`. Prepared
 * transactions left in it by an interrupted run are rolled back first, or the drop would fail.
 */
export async function dropScratchDatabase(databaseUrl: string, mustContain: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name) || !name.includes(mustContain)) throw new Error(`Refusing to drop database "${name}": its name must contain "${mustContain}"`);
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const sql = postgres(maintenance.toString(), { max: 1, onnotice: () => {} });
  try {
    const [exists] = await sql`SELECT 1 FROM pg_database WHERE datname = ${name}`;
    if (exists) {
      const inside = postgres(databaseUrl, { max: 1, onnotice: () => {} });
      try {
        const prepared = await inside<{ gid: string }[]>`SELECT gid FROM pg_prepared_xacts WHERE database = current_database()`;
        for (const { gid } of prepared) await inside.unsafe(`ROLLBACK PREPARED '${gid.replaceAll("'", "''")}'`);
      } finally {
        await inside.end({ timeout: 5 });
      }
    }
    await sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
