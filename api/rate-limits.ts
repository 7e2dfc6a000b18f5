import { RateLimiterMemory, RateLimiterRes, type IRateLimiterOptions } from 'rate-limiter-flexible';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import type { Database } from '../db/client.js';
import { rateLimitCounters } from '../db/schema/ratelimit.js';
import { RateLimited } from './errors.js';
import { PreparedCounterStore } from './rate-limit-store.js';

/**
 * The API's rate limits (rate-limiter-flexible, counters in `ratelimit.counters` in the shared
 * database, so every API process counts against the same numbers; rate-limit-store.ts).
 *
 * Failed logins lock an account (and, with a higher threshold, an address) out for a while; each
 * further lock-out within a day doubles the wait, up to a maximum: a bot guessing passwords gets
 * ten guesses, then one minute, two, four... A correct password does not unlock early: the check
 * comes before the password is hashed, which is also what keeps the hashing queue for real users.
 *
 * When the counter store fails (Postgres unreachable, a statement refused) each limiter falls back
 * to an in-memory one in this process with the same numbers (the library's insurance limiter):
 * not fail-open, since a store outage is exactly when an attacker's guesses would go uncounted, and
 * not a 503, since that would make every login and booking depend on the counters as well as on
 * the data they protect. The limits then hold per process instead of across processes, and a
 * request that needs the database anyway still gets the database's own 503.
 */
export interface RateLimits {
  /** Before checking a password: 429 while the account or the address is locked out. */
  beforeLogin(email: string, address: string): Promise<void>;
  /** A wrong password (or an unknown account): counts against both, and may start a lock-out. */
  loginFailed(email: string, address: string): Promise<void>;
  /** A correct password: the account's failures are forgotten (the address's are not). */
  loginSucceeded(email: string): Promise<void>;
  /** One registration from `address`: 429 past the limit. */
  registration(address: string): Promise<void>;
  /** One POST /api/reservations by `customerId`: 429 past the limit. */
  reservationAttempt(customerId: string): Promise<void>;
}

/** A lock-out is counted for a day: the back-off grows over a day of attacks, then starts again. */
const LOCKOUT_MEMORY_SECONDS = 24 * 3600;
/** The library's clean-up of expired rows: one limiter does it, not every one. */
const CLEANER = 'login-account';

type LimitName = 'login-account' | 'login-address' | 'login-lockouts' | 'registration' | 'reservation';

const retryAfterSeconds = (msBeforeNext: number): number => Math.max(1, Math.ceil(msBeforeNext / 1000));

export function createRateLimits(db: Database, cfg: Config, logger: Logger): RateLimits {
  let lastFallbackLog = 0;
  /** The in-memory stand-in for a limiter, used (and logged, once a minute at most) while the store fails. */
  class Insurance extends RateLimiterMemory {
    constructor(
      options: IRateLimiterOptions,
      private readonly limit: LimitName,
    ) {
      super(options);
    }
    override consume(...args: Parameters<RateLimiterMemory['consume']>) {
      this.noteFallback();
      return super.consume(...args);
    }
    override get(...args: Parameters<RateLimiterMemory['get']>) {
      this.noteFallback();
      return super.get(...args);
    }
    private noteFallback(): void {
      if (Date.now() - lastFallbackLog < 60_000) return;
      lastFallbackLog = Date.now();
      logger.warn({ limit: this.limit }, 'rate limits: the counter store failed; counting in this process until it answers');
    }
  }

  const limiter = (keyPrefix: LimitName, points: number, duration: number) =>
    new PreparedCounterStore({
      storeClient: db,
      schema: rateLimitCounters,
      keyPrefix,
      points,
      duration,
      clearExpiredByTimeout: keyPrefix === CLEANER,
      insuranceLimiter: new Insurance({ keyPrefix, points, duration }, keyPrefix),
    });

  const failures = {
    account: limiter('login-account', cfg.LOGIN_FAILURES_PER_ACCOUNT, cfg.LOGIN_FAILURE_WINDOW_SECONDS),
    address: limiter('login-address', cfg.LOGIN_FAILURES_PER_ADDRESS, cfg.LOGIN_FAILURE_WINDOW_SECONDS),
  };
  // Counts lock-outs, never refuses: as many points as a day could hold.
  const lockouts = limiter('login-lockouts', Number.MAX_SAFE_INTEGER, LOCKOUT_MEMORY_SECONDS);
  const registrations = limiter('registration', cfg.REGISTRATIONS_PER_ADDRESS, cfg.REGISTRATION_WINDOW_SECONDS);
  const reservations = limiter('reservation', cfg.RESERVATION_ATTEMPTS_PER_CUSTOMER, cfg.RESERVATION_ATTEMPT_WINDOW_SECONDS);

  /** consume(), with "no points left" as a result instead of a rejection; store errors still throw. */
  async function take(of: PreparedCounterStore, key: string): Promise<{ allowed: boolean; res: RateLimiterRes }> {
    try {
      return { allowed: true, res: await of.consume(key) };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return { allowed: false, res: rejection };
      throw rejection;
    }
  }

  async function lockedFor(of: PreparedCounterStore, key: string): Promise<number | undefined> {
    const res = await of.get(key);
    return res && res.consumedPoints > of.points ? res.msBeforeNext : undefined;
  }

  /** The limit is reached: lock the key out for a time that doubles with each lock-out of the day. */
  async function lockOut(of: PreparedCounterStore, kind: 'account' | 'address', key: string): Promise<void> {
    const { consumedPoints: count } = await lockouts.consume(`${kind}:${key}`);
    const seconds = Math.min(cfg.LOGIN_LOCKOUT_MAX_SECONDS, cfg.LOGIN_LOCKOUT_SECONDS * 2 ** Math.min(count - 1, 30));
    await of.block(key, seconds);
    logger.warn({ kind, key, lockOutSeconds: seconds, lockOutsToday: count }, 'rate limits: failed logins; locked out');
  }

  return {
    async beforeLogin(email, address) {
      const [account, fromAddress] = await Promise.all([lockedFor(failures.account, email), lockedFor(failures.address, address)]);
      if (account !== undefined) throw new RateLimited(`Too many failed logins for this account; try again in ${retryAfterSeconds(account)} s`, retryAfterSeconds(account), { limit: 'login_failures_per_account' });
      if (fromAddress !== undefined) throw new RateLimited(`Too many failed logins from this address; try again in ${retryAfterSeconds(fromAddress)} s`, retryAfterSeconds(fromAddress), { limit: 'login_failures_per_address' });
    },
    async loginFailed(email, address) {
      const [account, fromAddress] = await Promise.all([take(failures.account, email), take(failures.address, address)]);
      // The failure that reaches the limit starts the lock-out; later ones (racing it) find it started.
      if (account.res.consumedPoints === failures.account.points) await lockOut(failures.account, 'account', email);
      if (fromAddress.res.consumedPoints === failures.address.points) await lockOut(failures.address, 'address', address);
    },
    async loginSucceeded(email) {
      await failures.account.delete(email);
    },
    async registration(address) {
      const { allowed, res } = await take(registrations, address);
      if (!allowed) throw new RateLimited(`Too many registrations from this address; try again in ${retryAfterSeconds(res.msBeforeNext)} s`, retryAfterSeconds(res.msBeforeNext), { limit: 'registrations_per_address' });
    },
    async reservationAttempt(customerId) {
      const { allowed, res } = await take(reservations, customerId);
      if (!allowed) throw new RateLimited(`Too many booking attempts; try again in ${retryAfterSeconds(res.msBeforeNext)} s`, retryAfterSeconds(res.msBeforeNext), { limit: 'reservation_attempts_per_customer' });
    },
  };
}
