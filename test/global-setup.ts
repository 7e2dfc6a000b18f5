import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { prepareDatabases } from '../db/migrate.js';
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

  for (const url of distinctStoreOwnerUrls(cfg)) await recreateDatabase(url);
  await prepareDatabases(cfg, (line) => console.log(line));

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
    if (leftBehind.length > 0) throw new Error(`Prepared transactions left behind by the suite: ${leftBehind.join(', ')}`);
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

async function rollBackPrepared(databaseUrl: string): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ gid: string }[]>`SELECT gid FROM pg_prepared_xacts WHERE database = current_database()`;
    for (const row of rows) await sql.unsafe(`ROLLBACK PREPARED '${row.gid.replaceAll("'", "''")}'`);
  } finally {
    await sql.end();
  }
}

async function recreateDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  if (!/^[A-Za-z0-9_]+$/.test(name) || !name.includes('test')) throw new Error(`Refusing to recreate database "${name}": its name must contain "test"`);
  url.pathname = '/postgres';
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    // A prepared transaction left by an interrupted run would keep the database from being dropped.
    const [exists] = await sql`SELECT 1 FROM pg_database WHERE datname = ${name}`;
    if (exists) await rollBackPrepared(databaseUrl);
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
