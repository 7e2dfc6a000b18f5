import type { Client } from '@temporalio/client';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import type { Database } from '../db/client.js';
import type { Tokens } from './auth.js';
import type { Metrics } from './metrics.js';

/** What the API needs from the outside world; tests pass their own. */
export interface AppDeps {
  config: Config;
  db: Database;
  temporal: Client;
  tokens: Tokens;
  metrics: Metrics;
  logger: Logger;
}
