import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { config, serviceDatabaseUrl, storeOwnerUrl, type Config, type ServiceName, type Store } from '../lib/config.js';
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
  /** Another service's store, read where it lives (default: the service's own). */
  store?: Store;
  /** The configuration to take the URL from (default: the process's). */
  cfg?: Config;
}

function open(url: string, max: number): DatabaseHandle {
  const sql = postgres(url, { max, onnotice: () => {}, connection: { application_name: 'boxoffice' } });
  return { db: drizzle(sql, { schema }), sql, close: () => sql.end({ timeout: 5 }) };
}

/** A connection pool as the service's own role, which can reach its own schema only. */
export function connectAs(service: ServiceName, options: ConnectOptions = {}): DatabaseHandle {
  return open(options.url ?? serviceDatabaseUrl(service, options.cfg ?? config(), options.store), options.max ?? 10);
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

/** Connections to every store, reusing one pool where two stores are the same database. */
export function connectStores(open: (store: Store) => DatabaseHandle, urlOf: (store: Store) => string): StoreHandles {
  const byUrl = new Map<string, DatabaseHandle>();
  const of = (store: Store): DatabaseHandle => {
    const url = urlOf(store);
    const existing = byUrl.get(url);
    if (existing) return existing;
    const handle = open(store);
    byUrl.set(url, handle);
    return handle;
  };
  return {
    shared: of('shared'),
    booking: of('booking'),
    payments: of('payments'),
    ticketing: of('ticketing'),
    close: async () => {
      await Promise.all([...byUrl.values()].map((handle) => handle.close()));
    },
  };
}

export function connectStoresAsOwner(options: { max?: number } = {}): StoreHandles {
  return connectStores(
    (store) => connectAsOwner({ store, max: options.max ?? 2 }),
    (store) => storeOwnerUrl(store),
  );
}

/**
 * A service's pools to its own store and to other stores it reads, one pool per distinct database:
 * the API reads reservations and tickets, the projection reads the booking outbox, where they live.
 */
export function connectServiceToStores<S extends Store>(service: ServiceName, wanted: readonly S[], options: { max?: number } = {}): { of(store: S): DatabaseHandle; close(): Promise<void> } {
  const byUrl = new Map<string, DatabaseHandle>();
  const handles = new Map<S, DatabaseHandle>();
  for (const store of wanted) {
    const url = serviceDatabaseUrl(service, config(), store);
    const handle = byUrl.get(url) ?? open(url, options.max ?? 10);
    byUrl.set(url, handle);
    handles.set(store, handle);
  }
  return {
    of(store) {
      const handle = handles.get(store);
      if (!handle) throw new Error(`${service} has no connection to the ${store} store`);
      return handle;
    },
    close: async () => {
      await Promise.all([...byUrl.values()].map((handle) => handle.close()));
    },
  };
}

/** The stores' SQL clients, as db/invariants.ts takes them. */
export function storeSqls(handles: StoreHandles): { shared: postgres.Sql; booking: postgres.Sql; payments: postgres.Sql; ticketing: postgres.Sql } {
  return { shared: handles.shared.sql, booking: handles.booking.sql, payments: handles.payments.sql, ticketing: handles.ticketing.sql };
}
