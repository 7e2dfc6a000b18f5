import { DefaultLogger, Runtime } from '@temporalio/worker';
import { config } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { createActivities } from './activities.js';
import { createReservationWorker } from './create-worker.js';
import { startTwoPhaseRecovery } from './two-phase-recovery.js';

/** The Temporal worker process: runs the reservation sagas and their activities. */
const cfg = config();
const logger = createLogger('worker');
// The SDK's own logs (webpack's bundle report included) only when something is wrong.
Runtime.install({ logger: new DefaultLogger('WARN') });
const resources = createActivities(cfg);
const { worker, connection } = await createReservationWorker(cfg, resources.activities);
const recovery = startTwoPhaseRecovery(resources.coordinator, { graceMs: cfg.TWO_PC_RECOVERY_GRACE_MS, intervalMs: cfg.TWO_PC_RECOVERY_INTERVAL_MS, logger });
logger.info({ taskQueue: cfg.TASK_QUEUE, address: cfg.TEMPORAL_ADDRESS }, 'Temporal worker running');
// Worker.run() shuts down gracefully on SIGINT/SIGTERM by default.
await worker.run();
await recovery.stop();
await Promise.allSettled([resources.close(), connection.close()]);
logger.info('Temporal worker stopped');
