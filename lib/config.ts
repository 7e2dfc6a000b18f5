import { z } from 'zod';

/**
 * The one place that reads the environment. Every process validates it at start-up and fails with a
 * message naming the bad variable, instead of misbehaving later.
 */
const durationMs = z.coerce.number().int().positive();

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Owner connection: migrations, seeding, test setup. Services connect as their own roles. */
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/boxoffice'),
  /** Per-service connections; each defaults to DATABASE_URL with the service's own role as user. */
  API_DATABASE_URL: z.url().optional(),
  BOOKING_DATABASE_URL: z.url().optional(),
  PAYMENTS_DATABASE_URL: z.url().optional(),
  TICKETING_DATABASE_URL: z.url().optional(),
  PROJECTION_DATABASE_URL: z.url().optional(),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_UI_URL: z.url().default('http://localhost:8233'),
  TASK_QUEUE: z.string().min(1).default('boxoffice'),
  JWT_SECRET: z.string().min(16, 'JWT_SECRET must be at least 16 characters').default('dev-only-secret-change-me-in-production'),
  JWT_TTL_SECONDS: z.coerce.number().int().positive().default(12 * 3600),
  HOLD_TTL_MS: durationMs.default(10 * 60_000),
  /** How long POST /api/reservations waits for the saga before answering 202 pending. */
  RESERVATION_WAIT_MS: durationMs.default(10_000),
  PAYMENT_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
  PAYMENT_LATENCY_MS: z.coerce.number().int().min(0).default(0),
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(64 * 1024),
  /** Live seat map (api/live-feed.ts): a socket that misses one ping interval's pong is dropped. */
  LIVE_PING_INTERVAL_MS: durationMs.default(15_000),
  /** A socket with more than this many bytes queued (a client that stopped reading) is dropped. */
  LIVE_MAX_BUFFERED_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
  LIVE_MAX_SUBSCRIPTIONS_PER_SOCKET: z.coerce.number().int().positive().default(20),
  /** How often the feed compares its versions with the read model, to catch a lost notification. */
  LIVE_RESYNC_CHECK_MS: durationMs.default(5_000),
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

let cached: Config | undefined;
/** The process-wide configuration, validated once. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}

export type ServiceName = 'api' | 'booking' | 'payments' | 'ticketing' | 'projection';

/** Each service's Postgres role; it has rights on its own schema only (db/migrations/*_roles.sql). */
export const serviceRoles: Record<ServiceName, string> = {
  api: 'boxoffice_api',
  booking: 'boxoffice_booking',
  payments: 'boxoffice_payments',
  ticketing: 'boxoffice_ticketing',
  projection: 'boxoffice_projection',
};

export function serviceDatabaseUrl(service: ServiceName, cfg: Config = config()): string {
  const explicit = {
    api: cfg.API_DATABASE_URL,
    booking: cfg.BOOKING_DATABASE_URL,
    payments: cfg.PAYMENTS_DATABASE_URL,
    ticketing: cfg.TICKETING_DATABASE_URL,
    projection: cfg.PROJECTION_DATABASE_URL,
  }[service];
  if (explicit) return explicit;
  const url = new URL(cfg.DATABASE_URL);
  url.username = serviceRoles[service];
  url.password = '';
  return url.toString();
}
