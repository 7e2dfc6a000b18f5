import type { Coordinator } from '../activities/two-phase-commit/index.js';
import type { Logger } from '../lib/logger.js';

/**
 * Every worker looks for in-doubt two-phase transactions now and then: a coordinator (a worker
 * process) that died between PREPARE and COMMIT PREPARED left seat rows locked, and nobody else
 * would release them. Any worker may resolve any transaction; the decision log keeps it right.
 */
export function startTwoPhaseRecovery(coordinator: Coordinator, options: { graceMs: number; intervalMs: number; logger: Logger }) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  async function pass(): Promise<void> {
    try {
      await coordinator.liveness.renew();
      const { committed, rolledBack } = await coordinator.recover(options.graceMs);
      if (committed.length + rolledBack.length > 0) options.logger.warn({ committed, rolledBack }, 'resolved in-doubt two-phase transactions');
    } catch (error) {
      options.logger.error({ err: error }, 'two-phase recovery pass failed; will retry');
    }
  }
  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pass().then(() => schedule(options.intervalMs));
    }, delayMs);
  }
  schedule(0);

  return {
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
