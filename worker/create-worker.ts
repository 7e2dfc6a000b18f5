import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Config } from '../lib/config.js';

/** Where the workflow bundle starts: the sources under tsx/vitest, the compiled files under dist/. */
export const workflowsPath = (): string => fileURLToPath(new URL(`../workflows/index${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

export async function createReservationWorker(
  cfg: Config,
  activities: object,
  overrides: Partial<WorkerOptions> = {},
): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: cfg.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: cfg.TEMPORAL_NAMESPACE,
    taskQueue: cfg.TASK_QUEUE,
    workflowsPath: workflowsPath(),
    activities,
    ...overrides,
  });
  return { worker, connection };
}
