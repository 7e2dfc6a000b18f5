import { config } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { connectServiceToStores } from '../db/client.js';
import { createProjector } from './projector.js';

/** The projection process: booking outbox → read model + change notifications for WebSockets. */
const logger = createLogger('projection');
config();
// The read model lives in the shared database; the outbox it follows, in the booking store.
const database = connectServiceToStores('projection', ['shared', 'booking'], { max: 3 });
const projection = createProjector({ source: database.of('booking').sql, target: database.of('shared').sql }).start({
  onError: (error) => logger.error({ err: error }, 'projection batch failed; will retry'),
  onRelisten: () => logger.warn('projection: LISTEN re-established; catching up'),
});
logger.info('projection running');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  // npm start forwards Ctrl-C and then asks again with SIGTERM: stop once.
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'projection stopping');
  await projection.stop();
  await database.close();
  process.exit(0);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
