import { Writable } from 'node:stream';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { sdkLogger } from '../../worker/sdk-logs.js';

it('the native core retry warnings during a Temporal outage: one line per interval, saying how many were left out', () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = sdkLogger(pino({ level: 'info' }, sink), 60_000);
  const retry = { target: 'temporalio_client::retry', sdkComponent: 'core' };
  for (let attempt = 1; attempt <= 5; attempt++) logger.warn(`gRPC call poll_workflow_task_queue retried ${attempt} times`, retry);
  logger.error('Worker failed', { sdkComponent: 'worker' });
  logger.info('bundle report');

  expect(lines.map((line) => [line.level, line.msg])).toEqual([
    [40, 'gRPC call poll_workflow_task_queue retried 1 times'],
    [50, 'Worker failed'],
  ]);
  expect(lines[0]).toMatchObject({ sdk: 'temporal', retryLinesLeftOut: 0 });
});
