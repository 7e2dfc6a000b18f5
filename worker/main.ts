import { config } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { createActivities } from './activities.js';
import { createReservationWorker } from './create-worker.js';

/** The Temporal worker process: runs the reservation sagas and their activities. */
const cfg = config();
const logger = createLogger('worker');
const resources = createActivities(cfg);
const { worker, connection } = await createReservationWorker(cfg, resources.activities);
logger.info({ taskQueue: cfg.TASK_QUEUE, address: cfg.TEMPORAL_ADDRESS }, 'Temporal worker running');
// Worker.run() shuts down gracefully on SIGINT/SIGTERM by default.
await worker.run();
await Promise.allSettled([resources.close(), connection.close()]);
logger.info('Temporal worker stopped');
