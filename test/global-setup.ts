import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { dropScratchDatabase } from '../db/migrate.js';
import { prepareDatabases } from '../scripts/prepare-databases.js';
import { distinctStoreOwnerUrls, loadConfig } from '../lib/config.js';
import { findTemporalCli, startDevServer, type DevServer } from '../scripts/temporal-cli.js';
import { workflowsPath } from '../worker/create-worker.js';

import './support/provided-context.js';

/**
 * Once per `vitest run`: a fresh test database, a real Temporal dev server of its own (other port,
 * throw-away SQLite file) and the workflow bundle, built once and shared by every test file.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cfg = loadConfig({ ...process.env, ...project.config.env });
  const address = project.config.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7243';
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'boxoffice-test-'));

  for (const url of distinctStoreOwnerUrls(cfg)) await dropScratchDatabase(url, 'test');
  await prepareDatabases(cfg, (line) => console.log(line), { requirePreparedTransactions: true });

  const cli = findTemporalCli((line) => console.log(line));
  let temporal: DevServer | undefined = await startDevServer({
    cli,
    port: Number(address.split(':').pop()),
    dbFile: path.join(scratch, 'temporal.sqlite'),
    logFile: path.join(scratch, 'temporal.log'),
  });

  const bundle = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quietLogger });
  const bundlePath = path.join(scratch, 'workflow-bundle.js');
  await writeFile(bundlePath, bundle.code);
  project.provide('workflowBundlePath', bundlePath);
  project.provide('temporalCli', cli);

  return async () => {
    await temporal?.stop();
    // Checked here, after every file: a prepared transaction left behind holds locks forever.
    const leftBehind = await preparedTransactionsLeft(distinctStoreOwnerUrls(cfg));
    temporal = undefined;
    rmSync(scratch, { recursive: true, force: true });
    if (leftBehind.length > 0) {
      // vitest only logs an error thrown here; the exit code is what CI sees.
      process.exitCode = 1;
      throw new Error(`Prepared transactions left behind by the suite: ${leftBehind.join(', ')}`);
    }
  };
}

async function preparedTransactionsLeft(urls: string[]): Promise<string[]> {
  const left: string[] = [];
  for (const url of urls) {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql<{ gid: string }[]>`SELECT gid FROM pg_prepared_xacts WHERE database = current_database()`;
      left.push(...rows.map((row) => row.gid));
    } finally {
      await sql.end();
    }
  }
  return left;
}

const quietLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
