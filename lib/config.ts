import { z } from 'zod';

/**
 * The one place that reads the environment. Every process validates it at start-up and fails with a
 * message naming the bad variable, instead of misbehaving later.
 */
const durationMs = z.coerce.number().int().positive();

/** The local development database, as the owner; tools that need a database of their own derive theirs from it. */
export const defaultDatabaseUrl = 'postgres://postgres@127.0.0.1:5432/boxoffice';

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Owner connection: migrations, seeding, test setup. Services connect as their own roles. */
  DATABASE_URL: z.url().default(defaultDatabaseUrl),
  /**
   * Per-service connections; each defaults to DATABASE_URL with the service's own role as user.
   * BOOKING_, PAYMENTS_ and TICKETING_DATABASE_URL also say where that service's data lives: point
   * them at three databases and each service keeps its schema in its own (see stores below).
   */
  API_DATABASE_URL: z.url().optional(),
  BOOKING_DATABASE_URL: z.url().optional(),
  PAYMENTS_DATABASE_URL: z.url().optional(),
  TICKETING_DATABASE_URL: z.url().optional(),
  PROJECTION_DATABASE_URL: z.url().optional(),
  /** The two-phase-commit coordinator's decision log (shared database by default). */
  COORDINATOR_DATABASE_URL: z.url().optional(),
  /** How a reservation is booked when the request does not say: the saga, or two-phase commit. */
  BOOKING_PROTOCOL: z.enum(['saga', '2pc']).default('saga'),
  /** Two-phase commit: how long a booking waits for seat rows locked by another transaction. */
  TWO_PC_LOCK_TIMEOUT_MS: durationMs.default(15_000),
  /** Two-phase commit: a transaction prepared longer ago than this whose coordinator is dead is recovered. */
  TWO_PC_RECOVERY_GRACE_MS: durationMs.default(1_000),
  /** Two-phase commit: how often each worker looks for in-doubt transactions to recover. */
  TWO_PC_RECOVERY_INTERVAL_MS: durationMs.default(2_000),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_UI_URL: z.url().default('http://localhost:8233'),
  /** The dev server's dynamic-config tuning (scripts/temporal-cli.ts devServerTuning); off: the CLI's stock settings. */
  TEMPORAL_DEV_TUNING: z.enum(['on', 'off']).default('on'),
  TASK_QUEUE: z.string().min(1).default('boxoffice'),
  JWT_SECRET: z.string().min(16, 'JWT_SECRET must be at least 16 characters').default('dev-only-secret-change-me-in-production'),
  JWT_TTL_SECONDS: z.coerce.number().int().positive().default(12 * 3600),
  HOLD_TTL_MS: durationMs.default(10 * 60_000),
  /** How long POST /api/reservations waits for the saga before answering 202 pending. */
  RESERVATION_WAIT_MS: durationMs.default(10_000),
  PAYMENT_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
  PAYMENT_LATENCY_MS: z.coerce.number().int().min(0).default(0),
  /** Experiments and tests: while a file exists at this path the simulated gateway fails every call. */
  PAYMENT_GATEWAY_DOWN_FILE: z.string().min(1).optional(),
  /** The gateway's circuit breaker opens after this many gateway failures in a row (declines do not count). */
  PAYMENT_BREAKER_THRESHOLD: z.coerce.number().int().positive().default(5),
  /** How long it stays open before one trial charge may go through; also the 503's Retry-After. */
  PAYMENT_BREAKER_HALF_OPEN_MS: durationMs.default(5_000),
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(64 * 1024),
  /** Live seat map (api/live/heartbeat.ts): a socket that misses one ping interval's pong is dropped. */
  LIVE_PING_INTERVAL_MS: durationMs.default(15_000),
  /** A socket with more than this many bytes queued (a client that stopped reading) is dropped. */
  LIVE_MAX_BUFFERED_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
  LIVE_MAX_SUBSCRIPTIONS_PER_SOCKET: z.coerce.number().int().positive().default(20),
  /** How often the feed compares its versions with the read model, to catch a lost notification. */
  LIVE_RESYNC_CHECK_MS: durationMs.default(5_000),
  /** npm start restarts a process that exits; this many exits of one within the window stop everything (0: never). */
  START_CRASH_LOOP_EXITS: z.coerce.number().int().min(0).default(10),
  START_CRASH_LOOP_WINDOW_MS: durationMs.default(120_000),
});

export type Config = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid environment:\n${problems.join('\n')}`);
  }
  if (parsed.data.NODE_ENV === 'production' && parsed.data.JWT_SECRET === envSchema.shape.JWT_SECRET.parse(undefined)) {
    throw new ConfigError('Invalid environment:\n  JWT_SECRET: set a secret of your own in production');
  }
  return parsed.data;
}

/** The terminal client's settings (client/, `npm run client`): it runs anywhere, so it reads only these. */
const clientEnvSchema = z.object({
  /** Where the Boxoffice API is; the client's --url flag overrides it. */
  BOXOFFICE_URL: z.url().default('http://localhost:3000'),
});
export type ClientSettings = z.infer<typeof clientEnvSchema>;

export function loadClientSettings(env: NodeJS.ProcessEnv = process.env): ClientSettings {
  const parsed = clientEnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(`Invalid environment:\n${parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n')}`);
  return parsed.data;
}

let cached: Config | undefined;
/** The process-wide configuration, validated once. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}

export type ServiceName = 'api' | 'booking' | 'payments' | 'ticketing' | 'projection' | 'coordinator';

/** Each service's Postgres role; it has rights on its own schema only (db/migrations/*_roles.sql). */
export const serviceRoles: Record<ServiceName, string> = {
  api: 'boxoffice_api',
  booking: 'boxoffice_booking',
  payments: 'boxoffice_payments',
  ticketing: 'boxoffice_ticketing',
  projection: 'boxoffice_projection',
  coordinator: 'boxoffice_coordinator',
};

/**
 * Where data lives. `shared` holds identity, the catalogue, the read model and the coordinator's
 * log; booking, payments and ticketing each live in their own database when their URL says so.
 */
export type Store = 'shared' | 'booking' | 'payments' | 'ticketing';
export const stores: readonly Store[] = ['shared', 'booking', 'payments', 'ticketing'];

const homeStore: Record<ServiceName, Store> = {
  api: 'shared',
  booking: 'booking',
  payments: 'payments',
  ticketing: 'ticketing',
  projection: 'shared',
  coordinator: 'shared',
};

function explicitUrl(service: ServiceName, cfg: Config): string | undefined {
  return {
    api: cfg.API_DATABASE_URL,
    booking: cfg.BOOKING_DATABASE_URL,
    payments: cfg.PAYMENTS_DATABASE_URL,
    ticketing: cfg.TICKETING_DATABASE_URL,
    projection: cfg.PROJECTION_DATABASE_URL,
    coordinator: cfg.COORDINATOR_DATABASE_URL,
  }[service];
}

/** The store's database, as the owner (DATABASE_URL's credentials): migrations, checks, tests. */
export function storeOwnerUrl(store: Store, cfg: Config = config()): string {
  const located = store === 'shared' ? undefined : explicitUrl(store, cfg);
  const url = new URL(cfg.DATABASE_URL);
  if (located) {
    const location = new URL(located);
    url.host = location.host;
    url.pathname = location.pathname;
    url.search = location.search;
  }
  return url.toString();
}

/** host:port/database: two stores with the same key are one database. */
export const databaseKey = (url: string): string => {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
};

/** The distinct databases behind the stores, each as the owner. */
export function distinctStoreOwnerUrls(cfg: Config = config()): string[] {
  const byKey = new Map<string, string>();
  for (const store of stores) {
    const url = storeOwnerUrl(store, cfg);
    if (!byKey.has(databaseKey(url))) byKey.set(databaseKey(url), url);
  }
  return [...byKey.values()];
}

/**
 * A service's connection to a store (its own by default), as the service's role with its
 * credentials. Another store is found at its own *_DATABASE_URL when one is set (host, port and
 * database only), else beside the service's own database: the API and the projection read booking
 * and ticketing data where it lives.
 */
export function serviceDatabaseUrl(service: ServiceName, cfg: Config = config(), store: Store = homeStore[service]): string {
  const explicit = explicitUrl(service, cfg);
  if (explicit && store === homeStore[service]) return explicit;
  const located = store === 'shared' ? undefined : explicitUrl(store, cfg);
  const url = new URL(located ?? explicit ?? cfg.DATABASE_URL);
  const credentials = explicit ? new URL(explicit) : undefined;
  url.username = credentials?.username || serviceRoles[service];
  url.password = credentials?.password ?? '';
  return url.toString();
}
