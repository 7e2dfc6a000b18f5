/**
 * A worker process with the real activities, except that issueTickets announces itself on stdout
 * and then never returns: the crash test kills this process at that moment, after the charge and
 * before any ticket.
 */
import { Runtime } from '@temporalio/worker';
import { config } from '../../lib/config.js';
import { createActivities } from '../../worker/activities.js';
import { createReservationWorker } from '../../worker/create-worker.js';

Runtime.install({ logger: { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} } });
const cfg = config();
const resources = createActivities(cfg, { poolSize: 2 });
const bundlePath = process.env.WORKFLOW_BUNDLE_PATH;
const { worker } = await createReservationWorker(
  cfg,
  {
    ...resources.activities,
    issueTickets: async () => {
      process.stdout.write('REACHED_TICKETS\n');
      await new Promise(() => {});
    },
  },
  bundlePath ? { workflowBundle: { codePath: bundlePath }, workflowsPath: undefined } : {},
);
process.stdout.write('WORKER_READY\n');
await worker.run();
