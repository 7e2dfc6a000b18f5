import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { groupCpuMs, machineCpu, snapshot } from './cpu.js';
import { closedLoop, type LoopResult } from './loop.js';
import { doneUpdate, type bookingShapeWorkflow, type NoopActivities } from './workflows.js';

/**
 * (a) and (b): Temporal's ceiling on this machine, a TypeScript client and worker in this process
 * against the bench's dev server, with nothing of Boxoffice's in the way.
 */
export interface ShapeResult extends LoopResult {
  name: string;
  /** Machine-wide CPU ms per completed workflow; and the server's and this process's share. */
  machineMsPerWorkflow: number;
  serverMsPerWorkflow: number;
  benchProcessMsPerWorkflow: number;
}

const TASK_QUEUE = 'bench-ceiling';
const workflowsPath = fileURLToPath(new URL(`./workflows${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

export async function measureShapes(
  address: string,
  serverPid: number,
  settings: { concurrency: number; warmupMs: number; measureMs: number },
  log: (line: string) => void,
): Promise<ShapeResult[]> {
  // The SDK's state-change lines would bury the figures; warnings and errors still show.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const nativeConnection = await NativeConnection.connect({ address });
  const activities: NoopActivities = { step: async () => {} };
  // Production's worker options (the defaults; reuseV8Context on), only another task queue and bundle.
  const worker = await Worker.create({ connection: nativeConnection, namespace: 'default', taskQueue: TASK_QUEUE, workflowsPath, activities });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const shapes: { name: string; once: () => Promise<unknown> }[] = [
    { name: '(a) no-op workflow', once: () => client.workflow.execute('noopWorkflow', { taskQueue: TASK_QUEUE, workflowId: `bench-noop-${randomUUID()}` }) },
    {
      name: '(b) booking shape: update-with-start + 4 no-op local activities',
      // As api/reservation-client.ts does: the update accepted with the start, then its result.
      once: async () => {
        const startWorkflowOperation = new WithStartWorkflowOperation<typeof bookingShapeWorkflow>('bookingShapeWorkflow', {
          workflowId: `bench-shape-${randomUUID()}`,
          taskQueue: TASK_QUEUE,
          workflowIdConflictPolicy: 'USE_EXISTING',
        });
        const update = await client.workflow.startUpdateWithStart(doneUpdate, { waitForStage: 'ACCEPTED', startWorkflowOperation });
        return update.result();
      },
    },
  ];
  // BENCH_EAGER=on (issue 11's eager-start lever; server 1.29 refuses eager start inside
  // update-with-start): the same workflow started plainly and its result awaited, through a client
  // on the worker's own NativeConnection (the only kind that may request eager start), without
  // and with the request, so that (b) → (b1) is start-vs-update-with-start and (b1) → (b2) is eager.
  if (process.env.BENCH_EAGER === 'on') {
    const native = new Client({ connection: nativeConnection, namespace: 'default' });
    const plain = (requestEagerStart: boolean) => async () =>
      (await native.workflow.start<typeof bookingShapeWorkflow>('bookingShapeWorkflow', { workflowId: `bench-shape-${randomUUID()}`, taskQueue: TASK_QUEUE, requestEagerStart })).result();
    shapes.push(
      { name: "(b1) booking shape: plain start + result, client on the worker's NativeConnection", once: plain(false) },
      { name: "(b2) booking shape: eager start + result, client on the worker's NativeConnection", once: plain(true) },
    );
  }
  const results: ShapeResult[] = [];
  const running = worker.run();
  try {
    for (const shape of shapes) {
      log(`${shape.name}: warm-up ${settings.warmupMs / 1000} s (unmeasured), then ${settings.measureMs / 1000} s measured, ${settings.concurrency} concurrent`);
      await closedLoop(settings.concurrency, settings.warmupMs, shape.once);
      const before = snapshot();
      const loop = await closedLoop(settings.concurrency, settings.measureMs, shape.once);
      const after = snapshot();
      const per = (ms: number) => (loop.ok > 0 ? ms / loop.ok : Number.NaN);
      results.push({
        name: shape.name,
        ...loop,
        machineMsPerWorkflow: per(machineCpu(before, after).busyMs),
        serverMsPerWorkflow: per(groupCpuMs(before, after, { tree: serverPid })),
        benchProcessMsPerWorkflow: per(groupCpuMs(before, after, { only: process.pid })),
      });
    }
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await nativeConnection.close();
  }
  return results;
}
