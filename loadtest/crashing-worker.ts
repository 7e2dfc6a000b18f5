/**
 * A Temporal worker that kills its own process (SIGKILL: no cleanup, no goodbye) at one point of a
 * booking, for `npm run experiment:faults`. CRASH_AT chooses where:
 *   2pc-after-prepare   every participant prepared, no decision logged
 *   2pc-after-decision  "commit" logged, no participant told
 *   saga-before-tickets seats held and card charged, tickets not issued
 * Not part of the product: the real worker is worker/main.ts.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { config } from '../lib/config.js';
import { createActivities } from '../worker/activities.js';
import { createReservationWorker } from '../worker/create-worker.js';

const crashAt = process.env.CRASH_AT;
const die = (): Promise<never> => {
  process.kill(process.pid, 'SIGKILL');
  return new Promise<never>(() => {});
};

Runtime.install({ logger: new DefaultLogger('ERROR') });
const cfg = config();
const resources = createActivities(cfg, {
  hooks: crashAt === '2pc-after-prepare' ? { afterPrepare: die } : crashAt === '2pc-after-decision' ? { afterDecision: die } : {},
});
const activities = crashAt === 'saga-before-tickets' ? { ...resources.activities, issueTickets: die } : resources.activities;
const { worker } = await createReservationWorker(cfg, activities);
console.log('crashing worker ready');
await worker.run();
