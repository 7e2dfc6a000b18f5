import type postgres from 'postgres';
import type { StoreHandles } from '../../db/client.js';

/**
 * Schemas a refused request may change, by design: rate-limit counters count refused attempts too
 * (that is their point; issue 13, item 3 keeps them in `ratelimit`). Nothing else is exempt.
 */
export const COUNTERS_OF_REFUSALS: readonly string[] = ['ratelimit'];

/** `database.schema.table` → its row count and a checksum of every row. */
export type DatabaseSnapshot = Map<string, { rows: number; checksum: string }>;

/**
 * Every base table of every schema (but COUNTERS_OF_REFUSALS) in every store's database, counted and checksummed (an md5 of
 * the rows' md5s in sorted order, so the physical row order does not matter). Two snapshots are
 * equal exactly when no row was added, removed or changed anywhere.
 */
export async function snapshotDatabases(stores: StoreHandles): Promise<DatabaseSnapshot> {
  const snapshot: DatabaseSnapshot = new Map();
  const seen = new Set<postgres.Sql>();
  for (const handle of [stores.shared, stores.booking, stores.payments, stores.ticketing]) {
    if (seen.has(handle.sql)) continue;
    seen.add(handle.sql);
    const sql = handle.sql;
    const [{ database } = { database: '?' }] = await sql<{ database: string }[]>`SELECT current_database() AS database`;
    const tables = await sql<{ schema: string; name: string }[]>`
      SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema <> ALL(${COUNTERS_OF_REFUSALS as string[]})
      ORDER BY 1, 2`;
    // One statement per database: the snapshot is taken at one instant.
    const parts = tables.map(
      ({ schema, name }) =>
        `SELECT ${literal(`${schema}.${name}`)} AS name, count(*)::int AS rows, coalesce(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '') AS checksum FROM ${ident(schema)}.${ident(name)} t`,
    );
    if (parts.length === 0) continue;
    const rows = await sql.unsafe<{ name: string; rows: number; checksum: string }[]>(parts.join('\nUNION ALL\n'));
    for (const row of rows) snapshot.set(`${database}.${row.name}`, { rows: row.rows, checksum: row.checksum });
  }
  return snapshot;
}

/** The tables whose rows differ, with their counts before → after; empty when nothing changed. */
export function snapshotDifferences(before: DatabaseSnapshot, after: DatabaseSnapshot): string[] {
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  return names.flatMap((name) => {
    const was = before.get(name);
    const is = after.get(name);
    if (was && is && was.checksum === is.checksum && was.rows === is.rows) return [];
    return [`${name}: ${was ? `${was.rows} rows` : 'absent'} → ${is ? `${is.rows} rows` : 'absent'}${was && is && was.rows === is.rows ? ' (rows changed)' : ''}`];
  });
}

const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;
