import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import type { Logger } from '../lib/logger.js';

/** The native core's retry warnings: one per poller per attempt while the Temporal server is away. */
const RETRY_TARGET = 'temporalio_client::retry';

/**
 * The Temporal SDK's logs (TypeScript and native core, WARN and worse) as JSON lines of our logger.
 * While the server is away the core warns several times a second that its polls are retried; one
 * such line per `retryEveryMs` says so, with how many were left out.
 */
export function sdkLogger(logger: Logger, retryEveryMs = 10_000): DefaultLogger {
  const sdk = logger.child({ sdk: 'temporal' });
  let lastRetryLine = 0;
  let leftOut = 0;
  return new DefaultLogger('WARN', ({ level, message, meta }: LogEntry) => {
    let fields: Record<string, unknown> = meta ?? {};
    if (fields.target === RETRY_TARGET) {
      const now = Date.now();
      if (now - lastRetryLine < retryEveryMs) {
        leftOut++;
        return;
      }
      lastRetryLine = now;
      fields = { ...fields, retryLinesLeftOut: leftOut };
      leftOut = 0;
    }
    if (level === 'ERROR') sdk.error(fields, message);
    else if (level === 'WARN') sdk.warn(fields, message);
    else sdk.info(fields, message);
  });
}
