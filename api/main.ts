import { Client } from '@temporalio/client';
import { ConfigError, config, jwtSigningSecret, type Config } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { connectServiceToStores } from '../db/client.js';
import { createApp } from './app.js';
import { Tokens } from './auth.js';
import { attachLiveFeed } from './live/live-feed.js';
import { createMetrics } from './metrics.js';
import { createPaymentVault } from './payment-vault.js';
import { ReservationClient, temporalConnection } from './reservation-client.js';

let cfg: Config;
let signingSecret: string;
try {
  cfg = config();
  signingSecret = jwtSigningSecret(cfg);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // A start-up refusal, said plainly: no stack trace for a setting to change.
  console.error(`The API cannot start.\n${error.message}`);
  process.exit(1);
}
const logger = createLogger('api');
// Identity, catalogue and read model in the shared database; reservations and tickets read where
// they live; payment tokens deposited in the payments store.
const database = connectServiceToStores('api', ['shared', 'booking', 'ticketing', 'payments'], { max: 10 });
// Lazy: the API starts, and serves what needs no workflow, while Temporal is down.
const connection = temporalConnection(cfg);
const temporal = new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE });
const tokens = new Tokens(signingSecret, cfg.JWT_TTL_SECONDS);
const metrics = createMetrics();
const { app, events } = createApp({
  config: cfg,
  db: database.of('shared').db,
  stores: { booking: database.of('booking').db, ticketing: database.of('ticketing').db },
  paymentVault: createPaymentVault(database.of('payments').db),
  workflows: new ReservationClient(temporal, cfg),
  tokens,
  metrics,
  logger,
});

const server = app.listen({ port: cfg.PORT, backlog: cfg.API_LISTEN_BACKLOG }, () => logger.info({ port: cfg.PORT }, `API listening on http://localhost:${cfg.PORT}`));
const liveFeed = await attachLiveFeed(server, { sql: database.of('shared').sql, tokens, logger, config: cfg, registry: metrics.registry, onEventChanged: (id) => events.forget(id) });

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  // npm start forwards Ctrl-C and then asks again with SIGTERM: stop once.
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  server.close();
  server.closeAllConnections();
  await liveFeed.close();
  await Promise.allSettled([database.close(), connection.close()]);
  process.exit(0);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
