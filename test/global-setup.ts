import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { runMigrations } from '../db/migrate.js';
import { findTemporalCli, startDevServer, type DevServer } from '../scripts/temporal-cli.js';
import { workflowsPath } from '../worker/create-worker.js';

import './support/provided-context.js';

/**
 * Once per `vitest run`: a fresh test database, a real Temporal dev server of its own (other port,
 * throw-away SQLite file) and the workflow bundle, built once and shared by every test file.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const databaseUrl = project.config.env.DATABASE_URL ?? '';
  const address = project.config.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7243';
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'boxoffice-test-'));

  await recreateDatabase(databaseUrl);
  await runMigrations(databaseUrl);

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
    temporal = undefined;
    rmSync(scratch, { recursive: true, force: true });
  };
}

async function recreateDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  if (!/^[A-Za-z0-9_]+$/.test(name) || !name.includes('test')) throw new Error(`Refusing to recreate database "${name}": its name must contain "test"`);
  url.pathname = '/postgres';
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await sql.end();
  }
}

const quietLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
