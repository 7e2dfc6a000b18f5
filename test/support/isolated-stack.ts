import { dropScratchDatabase } from '../../db/migrate.js';
import { distinctStoreOwnerUrls, loadConfig } from '../../lib/config.js';
import { prepareDatabases } from '../../scripts/prepare-databases.js';
import { storeEnv } from './private-stack.js';
import { startStack, type Stack, type StackOptions } from './stack.js';

/**
 * startStack on databases of its own (`<test database>_<suffix>` and its `_booking`, `_payments`,
 * `_ticketing`), on the shared Postgres server, created and migrated here and dropped by `stop()`.
 * For suites that compare a snapshot of every table before and after: other test files running
 * at the same time write into the shared test databases.
 */
export async function startIsolatedStack(suffix: string, options: StackOptions = {}): Promise<Stack> {
  const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/boxoffice_test');
  base.pathname = `${base.pathname}_${suffix}`;
  const env = { ...storeEnv(base.toString()), ...options.env };
  const cfg = loadConfig({ ...process.env, ...env });
  const urls = distinctStoreOwnerUrls(cfg);
  // Left over by an interrupted run: start from nothing.
  for (const url of urls) await dropScratchDatabase(url, 'test');
  await prepareDatabases(cfg, () => {}, { requirePreparedTransactions: true });
  const stack = await startStack({ ...options, env });
  return {
    ...stack,
    async stop() {
      try {
        await stack.stop();
      } finally {
        for (const url of urls) await dropScratchDatabase(url, 'test');
      }
    },
  };
}
