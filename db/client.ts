import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { config, serviceDatabaseUrl, type ServiceName } from '../lib/config.js';
import * as schema from './schema/index.js';

export type Database = PostgresJsDatabase<typeof schema>;

export interface DatabaseHandle {
  db: Database;
  sql: postgres.Sql;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Pool size; defaults suit one process on a 2-core machine. */
  max?: number;
  url?: string;
}

function open(url: string, max: number): DatabaseHandle {
  const sql = postgres(url, { max, onnotice: () => {}, connection: { application_name: 'boxoffice' } });
  return { db: drizzle(sql, { schema }), sql, close: () => sql.end({ timeout: 5 }) };
}

/** A connection pool as the service's own role, which can reach its own schema only. */
export function connectAs(service: ServiceName, options: ConnectOptions = {}): DatabaseHandle {
  return open(options.url ?? serviceDatabaseUrl(service), options.max ?? 10);
}

/** The owner connection: migrations, seeding, verification and tests. */
export function connectAsOwner(options: ConnectOptions = {}): DatabaseHandle {
  return open(options.url ?? config().DATABASE_URL, options.max ?? 5);
}
