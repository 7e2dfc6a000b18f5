import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type postgres from 'postgres';
import { config, serviceDatabaseUrl, storeOwnerUrl, stores, type Config, type ServiceName, type Store } from '../lib/config.js';
import postgresDriver from './postgres-driver.js';
import * as schema from './schema/index.js';

/** A drizzle database; `$client` is its postgres.js pool, for what drizzle cannot do (cursors). */
export type Database = PostgresJsDatabase<typeof schema> & { $client: postgres.Sql };

export interface DatabaseHandle {
  db: Database;
  sql: postgres.Sql;
  /** Opens every connection the pool may use (see openAll). */
  openAll(): Promise<void>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Pool size; defaults suit one process on a 2-core machine. */
  max?: number;
  url?: string;
  /** Another service's store, read where it lives (default: the service's own). */
  store?: Store;
  /** The configuration to take the URL from (default: the process's). */
  cfg?: Config;
  /** Sees every statement the pool sends (tests count SQL per step). */
  onQuery?: QueryObserver;
}

/** Called with the text of every statement sent: how tests and benchmarks count SQL per request. */
export type QueryObserver = (statement: string) => void;

/**
 * How a pool behaves when Postgres goes away (docs/faults.md): a connection attempt gives up after
 * 3 s (postgres.js waits 30 s), so a request answers 503 instead of hanging; reconnect attempts back
 * off to at most 1 s (postgres.js grows to 20 s, which would keep a pool away for that long after
 * Postgres is back); TCP keep-alive notices a silently dead peer within seconds, not hours.
 */
export const connectionFaultOptions = {
  connect_timeout: 3,
  idle_timeout: 60,
  keep_alive: 5,
  backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
} as const;

function open(url: string, max: number, onQuery?: QueryObserver, name = 'boxoffice'): DatabaseHandle {
  const sql = postgresDriver(url, {
    max,
    onnotice: () => {},
    ...connectionFaultOptions,
    connection: { application_name: name },
    ...(onQuery ? { debug: (_connection: number, statement: string) => onQuery(statement) } : {}),
  });
  return { db: drizzle(sql, { schema }), sql, openAll: () => openAll(sql, max), close: () => sql.end({ timeout: 5 }) };
}

/**
 * Opens a pool's `max` connections now, ahead of a burst that needs them all: a new Postgres
 * connection costs the server ~14 ms of CPU to start (measured, docs/waiting-room.md), which a
 * burst of bookings on an idle pool would otherwise pay all at once. Statements sent together
 * each take a connection of their own; an unreachable database is the burst's problem, not this.
 */
async function openAll(sql: postgres.Sql, max: number): Promise<void> {
  await Promise.all(Array.from({ length: max }, () => sql`SELECT 1`.catch(() => undefined)));
}

/** A connection pool as the service's own role, which can reach its own schema only. */
export function connectAs(service: ServiceName, options: ConnectOptions = {}): DatabaseHandle {
  return open(options.url ?? serviceDatabaseUrl(service, options.cfg ?? config(), options.store), options.max ?? 10, options.onQuery);
}

/** The owner connection (to the shared database, or `store`'s): migrations, seeding, verification and tests. */
export function connectAsOwner(options: ConnectOptions = {}): DatabaseHandle {
  return open(options.url ?? (options.store ? storeOwnerUrl(options.store) : config().DATABASE_URL), options.max ?? 5);
}

/** One owner connection per store, shared where stores share a database. */
export interface StoreHandles {
  shared: DatabaseHandle;
  booking: DatabaseHandle;
  payments: DatabaseHandle;
  ticketing: DatabaseHandle;
  close(): Promise<void>;
}

/** One pool per distinct URL, shared by every key that names the same database. */
function poolsByDatabase<K>(urlOf: ReadonlyMap<K, string>, max: number, onQuery?: QueryObserver, name?: string): { of(key: K): DatabaseHandle | undefined; close(): Promise<void> } {
  const byUrl = new Map<string, DatabaseHandle>();
  const byKey = new Map<K, DatabaseHandle>();
  for (const [key, url] of urlOf) {
    const handle = byUrl.get(url) ?? open(url, max, onQuery, name);
    byUrl.set(url, handle);
    byKey.set(key, handle);
  }
  return {
    of: (key) => byKey.get(key),
    close: async () => {
      await Promise.all([...byUrl.values()].map((handle) => handle.close()));
    },
  };
}

/** Owner connections to every store (of `cfg`, default the process's), one pool per distinct database. */
export function connectStoresAsOwner(options: { max?: number; cfg?: Config } = {}): StoreHandles {
  const cfg = options.cfg ?? config();
  const pools = poolsByDatabase(new Map(stores.map((store) => [store, storeOwnerUrl(store, cfg)])), options.max ?? 2);
  const of = (store: Store): DatabaseHandle => pools.of(store) as DatabaseHandle;
  return { shared: of('shared'), booking: of('booking'), payments: of('payments'), ticketing: of('ticketing'), close: pools.close };
}

/**
 * A service's pools to its own store and to other stores it reads, one pool per distinct database:
 * the API reads reservations and tickets, the projection reads the booking outbox, where they live.
 */
export function connectServiceToStores<S extends Store>(
  service: ServiceName,
  wanted: readonly S[],
  options: { max?: number; onQuery?: QueryObserver; cfg?: Config } = {},
): { of(store: S): DatabaseHandle; close(): Promise<void> } {
  // application_name says whose connection it is (fault tests find the projection's LISTEN by it).
  const pools = poolsByDatabase(new Map(wanted.map((store) => [store, serviceDatabaseUrl(service, options.cfg ?? config(), store)])), options.max ?? 10, options.onQuery, `boxoffice-${service}`);
  return {
    of(store) {
      const handle = pools.of(store);
      if (!handle) throw new Error(`${service} has no connection to the ${store} store`);
      return handle;
    },
    close: pools.close,
  };
}

/** The stores' SQL clients, as db/invariants.ts takes them. */
export function storeSqls(handles: StoreHandles): { shared: postgres.Sql; booking: postgres.Sql; payments: postgres.Sql; ticketing: postgres.Sql } {
  return { shared: handles.shared.sql, booking: handles.booking.sql, payments: handles.payments.sql, ticketing: handles.ticketing.sql };
}
