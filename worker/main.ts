import { Runtime } from '@temporalio/worker';
import { config } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { createActivities } from './activities.js';
import { createReservationWorker } from './create-worker.js';
import { sdkLogger } from './sdk-logs.js';
import { startTwoPhaseRecovery } from './two-phase-recovery.js';

/** The Temporal worker process: runs the reservation sagas and their activities. */
const cfg = config();
const logger = createLogger('worker');
// The SDK's own logs (webpack's bundle report included) only when something is wrong, the native
// core's too. While the Temporal server is away the worker keeps polling (measured: through a
// 160 s outage), and resumes within 10 s of the server coming back (its poll back-off).
Runtime.install({ logger: sdkLogger(logger), telemetryOptions: { logging: { filter: { core: 'WARN', other: 'WARN' }, forward: {} } } });
const resources = createActivities(cfg);

/** Stops with a line that says why: npm start's supervisor restarts the worker. */
async function exitBecause(error: unknown, why: string): Promise<never> {
  logger.error({ err: error, address: cfg.TEMPORAL_ADDRESS }, `${why}; exiting (code 1) so that the worker is restarted`);
  await resources.close().catch(() => {});
  process.exit(1);
}

const created = await createReservationWorker(cfg, resources.activities).catch((error: unknown) => exitBecause(error, 'Temporal worker could not start (is the Temporal server up?)'));
const { worker, connection } = created;
const recovery = startTwoPhaseRecovery(resources.coordinator, { graceMs: cfg.TWO_PC_RECOVERY_GRACE_MS, intervalMs: cfg.TWO_PC_RECOVERY_INTERVAL_MS, logger });
logger.info({ taskQueue: cfg.TASK_QUEUE, address: cfg.TEMPORAL_ADDRESS }, 'Temporal worker running');
// Worker.run() shuts down gracefully on SIGINT/SIGTERM by default. It rejects only when the SDK
// gives up (a fatal error of the native worker): then exit, rather than live on without polling.
await worker.run().catch(async (error: unknown) => {
  await recovery.stop().catch(() => {});
  await connection.close().catch(() => {});
  return exitBecause(error, 'Temporal worker failed');
});
await recovery.stop();
await Promise.allSettled([resources.close(), connection.close()]);
logger.info('Temporal worker stopped');
