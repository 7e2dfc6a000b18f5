import path from 'node:path';
import { config } from '../lib/config.js';
import { findTemporalCli, startDevServer } from './temporal-cli.js';

/** `npm run temporal`: only the Temporal dev server, for running the other processes by hand. */
const cfg = config();
const server = await startDevServer({
  cli: findTemporalCli(),
  port: Number(cfg.TEMPORAL_ADDRESS.split(':').pop() ?? 7233),
  uiPort: Number(new URL(cfg.TEMPORAL_UI_URL).port || 8233),
  dbFile: path.resolve('.data', 'temporal', `dev-${cfg.TEMPORAL_ADDRESS.split(':').pop() ?? 7233}.sqlite`),
  logFile: path.resolve('.data', 'logs', 'temporal.log'),
  namespace: cfg.TEMPORAL_NAMESPACE,
});
console.log(server.startedHere ? `Temporal dev server on ${server.address}, UI ${cfg.TEMPORAL_UI_URL}. Ctrl-C stops it.` : `A Temporal server already answers on ${server.address}.`);
const stop = () => void server.stop().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
if (!server.startedHere) process.exit(0);
