import postgres from 'postgres';
import { serviceRoles, type ServiceName } from '../lib/config.js';

/**
 * Sets each service role's statement_timeout in the database at `databaseUrl` (as the owner). Per
 * database, because roles are shared by every database of the cluster (test databases included).
 * Takes effect for connections opened afterwards.
 */
export async function applyStatementTimeouts(databaseUrl: string, timeoutsMs: Record<ServiceName, number>): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [{ database } = { database: '' }] = await sql<{ database: string }[]>`SELECT current_database() AS database`;
    for (const [service, ms] of Object.entries(timeoutsMs) as [ServiceName, number][]) {
      // ALTER ROLE takes no bind parameters; every part is an identifier or an integer.
      await sql.unsafe(`ALTER ROLE "${serviceRoles[service]}" IN DATABASE "${database.replaceAll('"', '""')}" SET statement_timeout = ${Math.trunc(ms)}`);
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}
