import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it, inject } from 'vitest';
import { startStack, type Stack } from './support/stack.js';

let stack: Stack;
let crashing: ChildProcess | undefined;

beforeAll(async () => {
  stack = await startStack({ withoutWorker: true });
});
afterAll(async () => {
  crashing?.kill('SIGKILL');
  await stack?.stop();
});

function waitForLine(child: ChildProcess, line: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no "${line}" within ${timeoutMs} ms; output: ${seen}`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before "${line}"; output: ${seen}`)));
  });
}

it('a worker killed after the charge and before the tickets: a new worker finishes the saga, charged exactly once', async () => {
  crashing = spawn(process.execPath, ['--import', 'tsx', 'test/support/crashing-worker.ts'], {
    env: { ...process.env, TASK_QUEUE: stack.cfg.TASK_QUEUE, WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await waitForLine(crashing, 'WORKER_READY', 30_000);
  const organizer = await stack.http.user('organizer');
  const customer = await stack.http.user('customer');
  const eventId = await stack.http.event(organizer.token, { type: 'reserved', rows: 2, seatsPerRow: 5 }, 4000);

  const reached = waitForLine(crashing, 'REACHED_TICKETS', 30_000);
  const accepted = await stack.http.post<{ id: string; status: string; workflowId: string }>('/api/reservations', { eventId, seats: ['A-1', 'A-2'], paymentToken: 'tok_visa' }, customer.token, { Prefer: 'respond-async' });
  expect(accepted.status).toBe(202);
  await reached;
  crashing.kill('SIGKILL');

  const reservationId = accepted.body.id;
  const charged = await stack.stores.payments.sql<{ amount_cents: number }[]>`SELECT amount_cents FROM payments.charges WHERE reservation_id = ${reservationId} AND status = 'captured'`;
  expect(charged).toEqual([{ amount_cents: 8000 }]);
  const [before] = await stack.stores.ticketing.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM ticketing.tickets WHERE reservation_id = ${reservationId}`;
  expect(before?.count).toBe(0);

  // A fresh worker picks the saga up once the lost ticket attempt times out.
  await stack.startWorker();
  const outcome = await stack.temporal.workflow.getHandle(accepted.body.workflowId).result();
  expect(outcome.status).toBe('confirmed');
  expect(outcome.tickets).toHaveLength(2);
  const chargesAfter = await stack.stores.payments.sql<{ amount_cents: number }[]>`SELECT amount_cents FROM payments.charges WHERE reservation_id = ${reservationId}`;
  expect(chargesAfter).toEqual([{ amount_cents: 8000 }]);
  await stack.projectionCaughtUp();
  expect(await stack.invariants({ eventIds: [eventId], settled: true, readModel: true })).toEqual([]);
}, 90_000);
