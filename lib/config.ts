import { z } from 'zod';

/**
 * The one place that reads the environment. Every process validates it at start-up and fails with a
 * message naming the bad variable, instead of misbehaving later.
 */
const durationMs = z.coerce.number().int().positive();

/** "86400,3600" → [86400, 3600]: distinct positive whole seconds, largest (earliest reminder) first. */
const reminderOffsets = z.preprocess(
  (value) => (typeof value === 'string' ? value.split(',').map((part) => part.trim()).filter((part) => part !== '').map(Number) : value),
  z
    .array(z.number().int().positive().max(366 * 86_400))
    .min(1, 'name at least one offset in seconds')
    .max(10)
    .refine((offsets) => new Set(offsets).size === offsets.length, 'offsets must be distinct')
    .transform((offsets) => [...offsets].sort((a, b) => b - a)),
);

/** The local development database, as the owner; tools that need a database of their own derive theirs from it. */
export const defaultDatabaseUrl = 'postgres://postgres@127.0.0.1:5432/boxoffice';

/** The development signing key: refused unless NODE_ENV is set to development or test (jwtSigningSecret). */
export const builtInJwtSecret = 'dev-only-secret-change-me-in-production';

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /**
   * Connections the kernel may hold for the API before it accepts them (capped by
   * net.core.somaxconn). Node's own default, 511, overflowed at an on-sale's opening (2,000
   * connections within 2 s): dropped SYNs are retried 1 s and 3 s later, so a join sent before the
   * opening reached the API after it (docs/waiting-room.md, "The draw").
   */
  API_LISTEN_BACKLOG: z.coerce.number().int().min(1).max(65_535).default(4_096),
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
  /**
   * Each service role's statement_timeout in its databases (ALTER ROLE ... IN DATABASE ... SET, applied
   * by the migration with these defaults and again by scripts/migrate.ts with the configured values):
   * a runaway statement is cancelled instead of holding a connection and its locks. Booking's must
   * exceed TWO_PC_LOCK_TIMEOUT_MS, or a two-phase booking waiting for seat locks would be cancelled
   * before its lock timeout answers.
   */
  API_STATEMENT_TIMEOUT_MS: durationMs.default(5_000),
  BOOKING_STATEMENT_TIMEOUT_MS: durationMs.default(30_000),
  PAYMENTS_STATEMENT_TIMEOUT_MS: durationMs.default(15_000),
  TICKETING_STATEMENT_TIMEOUT_MS: durationMs.default(10_000),
  PROJECTION_STATEMENT_TIMEOUT_MS: durationMs.default(30_000),
  COORDINATOR_STATEMENT_TIMEOUT_MS: durationMs.default(10_000),
  NOTIFY_STATEMENT_TIMEOUT_MS: durationMs.default(10_000),
  /** The reminder activities' connection (subscriptions and notifications, shared database by default). */
  NOTIFY_DATABASE_URL: z.url().optional(),
  /** How a reservation is booked when the request does not say: the saga, or two-phase commit. */
  BOOKING_PROTOCOL: z.enum(['saga', '2pc']).default('saga'),
  /**
   * Experiments (the saga-vs-2pc comparison): only when on may any caller pick a protocol with the
   * Booking-Protocol header; otherwise only admins may. Prepared transactions hold seat rows during
   * a gateway call and use up max_prepared_transactions, so strangers must not choose them.
   */
  EXPERIMENTS: z.enum(['on', 'off']).default('off'),
  /** A customer's seats (or tickets) pending or held for one event, at most (hoarding). */
  HOLD_MAX_SEATS_PER_EVENT: z.coerce.number().int().positive().default(10),
  /** A customer's reservations pending or held at once, over every event, at most. */
  HOLD_MAX_OPEN_PER_CUSTOMER: z.coerce.number().int().positive().default(10),
  /** A confirmed reservation can no longer be cancelled (refunded) this long before its event starts; 0: until it starts. */
  CANCELLATION_CUTOFF_MS: z.coerce.number().int().min(0).default(60 * 60_000),
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
  /**
   * The worker's Temporal options (worker/create-worker.ts); unset: the SDK's defaults (a cache
   * sized from the heap, 40 workflow-task slots, 10 workflow-task pollers, 1 workflow thread). Measured in
   * docs/performance.md ("Lever: worker options") before any default was chosen.
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).optional(),
  WORKER_WORKFLOW_TASK_SLOTS: z.coerce.number().int().min(2).optional(),
  WORKER_WORKFLOW_TASK_POLLERS: z.coerce.number().int().min(1).optional(),
  /** Threads running workflow code (the SDK's `workflowThreadPoolSize`; 1 with `reuseV8Context`). */
  WORKER_WORKFLOW_THREADS: z.coerce.number().int().min(1).max(16).optional(),
  /** HS256 signing key: 32 bytes at least (HS256's own key size); the built-in one only in development and tests. */
  JWT_SECRET: z
    .string()
    .refine((secret) => new TextEncoder().encode(secret).length >= 32, 'JWT_SECRET must be at least 32 bytes')
    .default(builtInJwtSecret),
  JWT_TTL_SECONDS: z.coerce.number().int().positive().default(12 * 3600),
  /**
   * How long one API process trusts its last look at an account (role, existence) before asking
   * the database again: a demoted or deleted account loses its rights within this time on every
   * process. 0 asks on every request.
   */
  AUTH_ACCOUNT_CACHE_MS: z.coerce.number().int().min(0).default(2_000),
  /**
   * How long one API process books against its last look at an event (api/event-cache.ts). A change
   * made through the API is seen at once by every process (forgotten there and NOTIFYed); this only
   * bounds one whose notification was lost (LISTEN reconnecting) or made outside the API. 0: read on every booking.
   */
  EVENT_CACHE_MS: z.coerce.number().int().min(0).default(1_000),
  /** Proxies in front of the API whose X-Forwarded-For is trusted (Koa's proxy + maxIpsCount); 0 trusts none. */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).default(0),
  /** Failed logins per account (email) within the window before the account is locked out for a while. */
  LOGIN_FAILURES_PER_ACCOUNT: z.coerce.number().int().positive().default(10),
  /** Failed logins per client address within the window (many users may share one address). */
  LOGIN_FAILURES_PER_ADDRESS: z.coerce.number().int().positive().default(100),
  LOGIN_FAILURE_WINDOW_SECONDS: z.coerce.number().int().positive().default(15 * 60),
  /** The first lock-out; each further one within a day doubles it, up to the maximum. */
  LOGIN_LOCKOUT_SECONDS: z.coerce.number().int().positive().default(60),
  LOGIN_LOCKOUT_MAX_SECONDS: z.coerce.number().int().positive().default(3_600),
  /** Registrations per client address within the window. */
  REGISTRATIONS_PER_ADDRESS: z.coerce.number().int().positive().default(60),
  REGISTRATION_WINDOW_SECONDS: z.coerce.number().int().positive().default(60),
  /** POST /api/reservations per customer within the window. */
  RESERVATION_ATTEMPTS_PER_CUSTOMER: z.coerce.number().int().positive().default(600),
  RESERVATION_ATTEMPT_WINDOW_SECONDS: z.coerce.number().int().positive().default(60),
  /** Password hashes (argon2id, 7 MiB each) computed at once per API process. */
  PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().positive().default(2),
  /** Hashes waiting for a turn beyond which register and login answer 503 at once. */
  PASSWORD_HASH_QUEUE: z.coerce.number().int().min(0).default(64),
  HOLD_TTL_MS: durationMs.default(10 * 60_000),
  /**
   * How long a waiting-list offer (a hold of released seats for the first in line whose quantity
   * fits) waits for payment before it passes to the next (docs/waiting-list.md). Read by the worker.
   */
  WAITLIST_OFFER_TTL_MS: durationMs.default(10 * 60_000),
  /**
   * How best available claims its pick (docs/best-available.md): `skip-locked` claims the picked
   * seats and their neighbours with FOR UPDATE SKIP LOCKED and picks again on a lost round;
   * `event-lock` first takes a per-event advisory lock, so best-available claims of one event run one
   * at a time (until their transaction ends) and never lose a round to each other.
   */
  BEST_AVAILABLE_CLAIM: z.enum(['skip-locked', 'event-lock']).default('skip-locked'),
  /**
   * The longest a booking request's named seats stay in flight (api/routes/reservations/seats-in-flight.ts):
   * a concurrent request for them is refused at once meanwhile. An entry ends with its request's
   * answer if refused or failed, else with its reservation; this bounds one whose API process died.
   * 0: off (every request for seats the booking store shows free starts a workflow).
   */
  SEATS_IN_FLIGHT_TTL_MS: z.coerce.number().int().min(0).default(30_000),
  /** How long POST /api/reservations waits for the saga before answering 202 pending. */
  RESERVATION_WAIT_MS: durationMs.default(10_000),
  /**
   * Which payment gateway the worker charges through. Only the simulated one exists (it accepts
   * tok_visa and friends, and moves no money): the default outside production, and in production
   * only when chosen explicitly, so a deployment never takes fake payments by accident.
   */
  PAYMENT_GATEWAY: z.enum(['simulated']).optional(),
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
  /**
   * When reminders go out to an event's subscribers: seconds before it starts, comma-separated
   * (default 24 h and 1 h). Read by the worker when an event's reminder workflow (re)plans.
   */
  REMINDER_OFFSETS_SECONDS: reminderOffsets.default([86_400, 3_600]),
  /** Subscribers notified per activity call of a reminder round (docs/notifications.md). */
  REMINDER_BATCH_SIZE: z.coerce.number().int().min(1).max(5_000).default(500),
  /** The waiting room (docs/waiting-room.md): customers may join a queue this long before its opening. */
  QUEUE_JOIN_LEAD_SECONDS: z.coerce.number().int().min(0).default(15 * 60),
  /**
   * The draw waits this long after the opening at most for joins still coming in (those sent
   * before the opening are in it; docs/waiting-room.md, "The draw"). 0: draw at the opening.
   */
  QUEUE_DRAW_GRACE_MS: durationMs.default(15_000),
  /** Queue joins an API process works on at once; the rest wait their turn in arrival order (api/join-lane.ts). */
  QUEUE_JOIN_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(16),
  /** How long an admitted buyer may take to book (the admission token's lifetime); then the turn passes on. */
  QUEUE_ADMISSION_WINDOW_SECONDS: z.coerce.number().int().positive().default(5 * 60),
  /** How often an on-sale admits (one workflow tick: one transaction and one broadcast at most). */
  QUEUE_TICK_MS: z.coerce.number().int().min(100).default(1_000),
  /** Admission ticks per run of an on-sale workflow before it continues as new (~8 history events a tick). */
  QUEUE_TICKS_PER_RUN: z.coerce.number().int().min(1).max(1_000).default(240),
  /**
   * Adaptive rate: the p99 latency admitted buyers' bookings should stay under. Below the 1 s an
   * admitted buyer is promised, because the window reacts to a breach only after it happened.
   */
  QUEUE_TARGET_LATENCY_MS: durationMs.default(700),
  /** Adaptive rate: admitted-but-unfinished buyers at least (and at the start), and at most. */
  QUEUE_MIN_WINDOW: z.coerce.number().int().positive().default(10),
  QUEUE_MAX_WINDOW: z.coerce.number().int().positive().default(2_000),
  /** How often each API process checks that its sockets' accounts still exist with the same role (one query). */
  LIVE_ACCOUNT_CHECK_MS: durationMs.default(5_000),
  /** npm start restarts a process that exits; this many exits of one within the window stop everything (0: never). */
  START_CRASH_LOOP_EXITS: z.coerce.number().int().min(0).default(10),
  START_CRASH_LOOP_WINDOW_MS: durationMs.default(120_000),
});

export type PaymentGatewayName = NonNullable<z.infer<typeof envSchema>['PAYMENT_GATEWAY']>;
export type Config = Omit<z.infer<typeof envSchema>, 'PAYMENT_GATEWAY'> & { PAYMENT_GATEWAY: PaymentGatewayName };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid environment:\n${problems.join('\n')}`);
  }
  if (parsed.data.NODE_ENV === 'production' && parsed.data.JWT_SECRET === builtInJwtSecret) {
    throw new ConfigError('Invalid environment:\n  JWT_SECRET: set a secret of your own in production');
  }
  if (parsed.data.BOOKING_STATEMENT_TIMEOUT_MS <= parsed.data.TWO_PC_LOCK_TIMEOUT_MS) {
    throw new ConfigError('Invalid environment:\n  BOOKING_STATEMENT_TIMEOUT_MS: must be longer than TWO_PC_LOCK_TIMEOUT_MS');
  }
  if (parsed.data.NODE_ENV === 'production' && parsed.data.PAYMENT_GATEWAY === undefined) {
    throw new ConfigError(
      'Invalid environment:\n  PAYMENT_GATEWAY: no payment gateway chosen. In production it must be explicit; the only one is the simulated gateway ' +
        '(it accepts the test token tok_visa and moves no money): set PAYMENT_GATEWAY=simulated to run it knowingly',
    );
  }
  return { ...parsed.data, PAYMENT_GATEWAY: parsed.data.PAYMENT_GATEWAY ?? 'simulated' };
}

/**
 * The key the API signs and checks tokens with. The built-in one is public (it is in this file),
 * so a process that signs with it must say it is a development or test process: an unset
 * NODE_ENV (which other tools read as development) is not enough, since that is how a
 * hand-started production process would run.
 */
export function jwtSigningSecret(cfg: Config, env: NodeJS.ProcessEnv = process.env): string {
  if (cfg.JWT_SECRET === builtInJwtSecret && env.NODE_ENV !== 'development' && env.NODE_ENV !== 'test') {
    throw new ConfigError(
      `Invalid environment:\n  JWT_SECRET: the built-in development secret is refused ${env.NODE_ENV ? `with NODE_ENV=${env.NODE_ENV}` : 'when NODE_ENV is not set'}; set JWT_SECRET to a secret of your own (32 bytes at least, e.g. \`openssl rand -hex 32\`), or NODE_ENV=development on a development machine`,
    );
  }
  return cfg.JWT_SECRET;
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

export type ServiceName = 'api' | 'booking' | 'payments' | 'ticketing' | 'projection' | 'coordinator' | 'notify';

/** Each service's Postgres role; it has rights on its own schema only (db/migrations/*_roles.sql). */
export const serviceRoles: Record<ServiceName, string> = {
  api: 'boxoffice_api',
  booking: 'boxoffice_booking',
  payments: 'boxoffice_payments',
  ticketing: 'boxoffice_ticketing',
  projection: 'boxoffice_projection',
  coordinator: 'boxoffice_coordinator',
  notify: 'boxoffice_notify',
};

/** Each service role's statement_timeout, as configured. */
export function statementTimeoutsMs(cfg: Config = config()): Record<ServiceName, number> {
  return {
    api: cfg.API_STATEMENT_TIMEOUT_MS,
    booking: cfg.BOOKING_STATEMENT_TIMEOUT_MS,
    payments: cfg.PAYMENTS_STATEMENT_TIMEOUT_MS,
    ticketing: cfg.TICKETING_STATEMENT_TIMEOUT_MS,
    projection: cfg.PROJECTION_STATEMENT_TIMEOUT_MS,
    coordinator: cfg.COORDINATOR_STATEMENT_TIMEOUT_MS,
    notify: cfg.NOTIFY_STATEMENT_TIMEOUT_MS,
  };
}

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
  notify: 'shared',
};

function explicitUrl(service: ServiceName, cfg: Config): string | undefined {
  return {
    api: cfg.API_DATABASE_URL,
    booking: cfg.BOOKING_DATABASE_URL,
    payments: cfg.PAYMENTS_DATABASE_URL,
    ticketing: cfg.TICKETING_DATABASE_URL,
    projection: cfg.PROJECTION_DATABASE_URL,
    coordinator: cfg.COORDINATOR_DATABASE_URL,
    notify: cfg.NOTIFY_DATABASE_URL,
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
