import { describe, expect, it } from 'vitest';
import { builtInJwtSecret, ConfigError, databaseKey, distinctStoreOwnerUrls, jwtSigningSecret, loadConfig, serviceDatabaseUrl, statementTimeoutsMs, storeOwnerUrl } from '../../lib/config.js';
import { workerTuning } from '../../worker/create-worker.js';

describe('configuration', () => {
  it('has defaults that work on a development machine', () => {
    const cfg = loadConfig({});
    expect(cfg).toMatchObject({ PORT: 3000, TEMPORAL_ADDRESS: '127.0.0.1:7233', TASK_QUEUE: 'boxoffice', HOLD_TTL_MS: 600_000 });
    expect(cfg.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/boxoffice');
  });

  it('names every bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty', PAYMENT_FAILURE_RATE: '2' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty', PAYMENT_FAILURE_RATE: '2' })).toThrow(/PORT[\s\S]*PAYMENT_FAILURE_RATE/);
  });

  it('refuses the development JWT secret in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-32-bytes!', PAYMENT_GATEWAY: 'simulated' }).NODE_ENV).toBe('production');
  });

  it('refuses to run the simulated gateway in production unless it is chosen explicitly', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-32-bytes!' };
    expect(() => loadConfig(production)).toThrow(ConfigError);
    expect(() => loadConfig(production)).toThrow(/PAYMENT_GATEWAY[\s\S]*PAYMENT_GATEWAY=simulated/);
    expect(() => loadConfig({ ...production, PAYMENT_GATEWAY: 'stripe' })).toThrow(/PAYMENT_GATEWAY/);
    expect(loadConfig({ ...production, PAYMENT_GATEWAY: 'simulated' }).PAYMENT_GATEWAY).toBe('simulated');
    // Development and tests keep their default.
    expect(loadConfig({}).PAYMENT_GATEWAY).toBe('simulated');
  });

  it('gives every service role a statement_timeout, booking longer than the two-phase lock wait', () => {
    expect(statementTimeoutsMs(loadConfig({}))).toEqual({ api: 5000, booking: 30000, payments: 15000, ticketing: 10000, projection: 30000, coordinator: 10000, notify: 10000 });
    expect(statementTimeoutsMs(loadConfig({ API_STATEMENT_TIMEOUT_MS: '2500' })).api).toBe(2500);
    expect(() => loadConfig({ BOOKING_STATEMENT_TIMEOUT_MS: '10000', TWO_PC_LOCK_TIMEOUT_MS: '15000' })).toThrow(/BOOKING_STATEMENT_TIMEOUT_MS/);
    expect(() => loadConfig({ PAYMENTS_STATEMENT_TIMEOUT_MS: '0' })).toThrow(/PAYMENTS_STATEMENT_TIMEOUT_MS/);
  });

  it('signs with the built-in secret only when NODE_ENV says development or test, not when it is unset', () => {
    const builtIn = loadConfig({});
    expect(builtIn.JWT_SECRET).toBe(builtInJwtSecret);
    expect(() => jwtSigningSecret(builtIn, {})).toThrow(/built-in development secret is refused when NODE_ENV is not set/);
    expect(() => jwtSigningSecret(builtIn, { NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(jwtSigningSecret(builtIn, { NODE_ENV: 'development' })).toBe(builtInJwtSecret);
    expect(jwtSigningSecret(builtIn, { NODE_ENV: 'test' })).toBe(builtInJwtSecret);
    const own = loadConfig({ JWT_SECRET: 'an-own-secret-that-is-32-bytes!!' });
    expect(jwtSigningSecret(own, {})).toBe('an-own-secret-that-is-32-bytes!!');
  });

  it('has rate limits no stricter than 60 registrations a minute per address, and trusts no proxy by default', () => {
    const cfg = loadConfig({});
    expect(cfg.REGISTRATIONS_PER_ADDRESS / cfg.REGISTRATION_WINDOW_SECONDS).toBeGreaterThanOrEqual(1);
    expect(cfg).toMatchObject({ TRUST_PROXY_HOPS: 0, LOGIN_FAILURES_PER_ACCOUNT: 10, AUTH_ACCOUNT_CACHE_MS: 2000 });
    expect(() => loadConfig({ LOGIN_FAILURES_PER_ACCOUNT: '0' })).toThrow(/LOGIN_FAILURES_PER_ACCOUNT/);
    expect(loadConfig({ AUTH_ACCOUNT_CACHE_MS: '0' }).AUTH_ACCOUNT_CACHE_MS).toBe(0);
  });

  it('connects each service as its own role unless told otherwise', () => {
    const cfg = loadConfig({ DATABASE_URL: 'postgres://owner:secret@db.internal:5433/shop' });
    expect(serviceDatabaseUrl('payments', cfg)).toBe('postgres://boxoffice_payments@db.internal:5433/shop');
    const explicit = loadConfig({ PAYMENTS_DATABASE_URL: 'postgres://pay:pw@other:5432/payments' });
    expect(serviceDatabaseUrl('payments', explicit)).toBe('postgres://pay:pw@other:5432/payments');
  });

  it('finds a store in its own database, and a reader connects there as its own role', () => {
    const cfg = loadConfig({
      DATABASE_URL: 'postgres://owner:secret@db:5432/shop',
      BOOKING_DATABASE_URL: 'postgres://boxoffice_booking:bk@db-booking:5432/booking',
      API_DATABASE_URL: 'postgres://boxoffice_api:apipw@db:5432/shop',
    });
    // The API reads reservations where the booking store lives, with the API's credentials.
    expect(serviceDatabaseUrl('api', cfg, 'booking')).toBe('postgres://boxoffice_api:apipw@db-booking:5432/booking');
    // Ticketing has no database of its own here: it lives beside the API's.
    expect(serviceDatabaseUrl('api', cfg, 'ticketing')).toBe('postgres://boxoffice_api:apipw@db:5432/shop');
    expect(serviceDatabaseUrl('projection', cfg, 'booking')).toBe('postgres://boxoffice_projection@db-booking:5432/booking');
    expect(storeOwnerUrl('booking', cfg)).toBe('postgres://owner:secret@db-booking:5432/booking');
    expect(distinctStoreOwnerUrls(cfg)).toEqual(['postgres://owner:secret@db:5432/shop', 'postgres://owner:secret@db-booking:5432/booking']);
  });

  it('books by saga unless told 2pc, and refuses anything else', () => {
    expect(loadConfig({}).BOOKING_PROTOCOL).toBe('saga');
    expect(loadConfig({ BOOKING_PROTOCOL: '2pc' }).BOOKING_PROTOCOL).toBe('2pc');
    expect(() => loadConfig({ BOOKING_PROTOCOL: 'xa' })).toThrow(/BOOKING_PROTOCOL/);
    expect(loadConfig({}).BEST_AVAILABLE_CLAIM).toBe('skip-locked');
    expect(loadConfig({ BEST_AVAILABLE_CLAIM: 'event-lock' }).BEST_AVAILABLE_CLAIM).toBe('event-lock');
    expect(() => loadConfig({ BEST_AVAILABLE_CLAIM: 'table-lock' })).toThrow(/BEST_AVAILABLE_CLAIM/);
  });

  it('keeps experiments off and the booking rules on by default, each configurable', () => {
    const cfg = loadConfig({});
    expect(cfg).toMatchObject({ EXPERIMENTS: 'off', HOLD_MAX_SEATS_PER_EVENT: 10, HOLD_MAX_OPEN_PER_CUSTOMER: 10, CANCELLATION_CUTOFF_MS: 3_600_000 });
    expect(loadConfig({ EXPERIMENTS: 'on', HOLD_MAX_SEATS_PER_EVENT: '4', CANCELLATION_CUTOFF_MS: '0' })).toMatchObject({ EXPERIMENTS: 'on', HOLD_MAX_SEATS_PER_EVENT: 4, CANCELLATION_CUTOFF_MS: 0 });
    expect(() => loadConfig({ EXPERIMENTS: 'yes' })).toThrow(/EXPERIMENTS/);
    expect(() => loadConfig({ HOLD_MAX_SEATS_PER_EVENT: '0' })).toThrow(/HOLD_MAX_SEATS_PER_EVENT/);
    expect(() => loadConfig({ HOLD_MAX_OPEN_PER_CUSTOMER: '-1' })).toThrow(/HOLD_MAX_OPEN_PER_CUSTOMER/);
    expect(() => loadConfig({ CANCELLATION_CUTOFF_MS: '-5' })).toThrow(/CANCELLATION_CUTOFF_MS/);
  });

  it('refuses durations that are not positive whole milliseconds', () => {
    expect(() => loadConfig({ HOLD_TTL_MS: '0' })).toThrow(/HOLD_TTL_MS/);
    expect(() => loadConfig({ RESERVATION_WAIT_MS: '-5' })).toThrow(/RESERVATION_WAIT_MS/);
    expect(() => loadConfig({ LIVE_PING_INTERVAL_MS: '1.5' })).toThrow(/LIVE_PING_INTERVAL_MS/);
    expect(loadConfig({ HOLD_TTL_MS: '1500' }).HOLD_TTL_MS).toBe(1500);
  });

  it('refuses a port outside 0..65535, a short JWT secret and a database URL that is not a URL', () => {
    expect(() => loadConfig({ PORT: '65536' })).toThrow(/PORT/);
    expect(loadConfig({ PORT: '0' }).PORT).toBe(0);
    expect(() => loadConfig({ JWT_SECRET: 'too-short' })).toThrow(/JWT_SECRET must be at least 32 bytes/);
    // Bytes, not characters: 11 three-byte characters are 33 bytes.
    expect(loadConfig({ JWT_SECRET: '€'.repeat(11) }).JWT_SECRET).toBe('€'.repeat(11));
    expect(() => loadConfig({ JWT_SECRET: 'x'.repeat(31) })).toThrow(/JWT_SECRET must be at least 32 bytes/);
    expect(() => loadConfig({ DATABASE_URL: 'not a url' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ NODE_ENV: 'staging' })).toThrow(/NODE_ENV/);
  });

  it('counts two URLs to one database, whatever their credentials, as one database', () => {
    expect(databaseKey('postgres://a:x@db:5432/shop')).toBe(databaseKey('postgres://b@db/shop'));
    expect(databaseKey('postgres://a@db:5433/shop')).not.toBe(databaseKey('postgres://a@db:5432/shop'));
    const cfg = loadConfig({ DATABASE_URL: 'postgres://owner@db:5432/shop', PAYMENTS_DATABASE_URL: 'postgres://boxoffice_payments@db:5432/shop' });
    expect(distinctStoreOwnerUrls(cfg)).toEqual(['postgres://owner@db:5432/shop']);
  });
});

describe('the worker options (worker/create-worker.ts)', () => {
  it('keeps every SDK default while unset, and passes each one set', () => {
    expect(workerTuning(loadConfig({}))).toEqual({});
    const tuned = workerTuning(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '50', WORKER_WORKFLOW_TASK_SLOTS: '10', WORKER_WORKFLOW_TASK_POLLERS: '2', WORKER_WORKFLOW_THREADS: '2' }));
    expect(tuned).toEqual({ maxCachedWorkflows: 50, maxConcurrentWorkflowTaskExecutions: 10, workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 2 }, workflowThreadPoolSize: 2 });
    expect(() => loadConfig({ WORKER_WORKFLOW_THREADS: '0' })).toThrow(ConfigError);
  });
});
