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
    ...workerTuning(cfg),
    ...overrides,
  });
  return { worker, connection };
}

/** The configured worker options; an unset one keeps the SDK's default. */
export function workerTuning(cfg: Config): Partial<WorkerOptions> {
  return {
    ...(cfg.WORKER_MAX_CACHED_WORKFLOWS === undefined ? {} : { maxCachedWorkflows: cfg.WORKER_MAX_CACHED_WORKFLOWS }),
    ...(cfg.WORKER_WORKFLOW_TASK_SLOTS === undefined ? {} : { maxConcurrentWorkflowTaskExecutions: cfg.WORKER_WORKFLOW_TASK_SLOTS }),
    ...(cfg.WORKER_WORKFLOW_TASK_POLLERS === undefined ? {} : { workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: cfg.WORKER_WORKFLOW_TASK_POLLERS } }),
    ...(cfg.WORKER_WORKFLOW_THREADS === undefined ? {} : { workflowThreadPoolSize: cfg.WORKER_WORKFLOW_THREADS }),
  };
}
