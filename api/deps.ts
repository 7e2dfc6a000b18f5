import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import type { Database } from '../db/client.js';
import type { PasswordHasher, Tokens } from './auth.js';
import type { EventCache } from './event-cache.js';
import type { Metrics } from './metrics.js';
import type { PaymentVault } from './payment-vault.js';
import type { RateLimits } from './rate-limits.js';
import type { ReservationClient } from './reservation-client.js';

/** What the API needs from the outside world; tests pass their own. */
export interface AppDeps {
  config: Config;
  /** The shared database: identity, the catalogue and the read model. */
  db: Database;
  /** Read-only views of the stores that may live elsewhere: reservations, and tickets. */
  stores: { booking: Database; ticketing: Database };
  /** Where payment tokens are deposited before a workflow sees them (insert-only). */
  paymentVault: PaymentVault;
  /** The one way to start, update, signal and query the workflows. */
  workflows: ReservationClient;
  tokens: Tokens;
  metrics: Metrics;
  logger: Logger;
}

/** What createApp builds from AppDeps for the routes that count and hash: one of each per app. */
export interface RequestGuards {
  limits: RateLimits;
  passwords: PasswordHasher;
  /** The booking path's events, remembered per process and forgotten on change (api/event-cache.ts). */
  events: EventCache;
}
