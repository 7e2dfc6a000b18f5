import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { connectStoresAsOwner, storeSqls, type StoreHandles } from '../db/client.js';
import type { InvariantStores } from '../db/invariants.js';
import { dropScratchDatabase } from '../db/migrate.js';
import { distinctStoreOwnerUrls, loadConfig, type Config } from '../lib/config.js';
import { pollUntil } from '../lib/poll.js';

/**
 * A whole stack of its own for an experiment: `dist/scripts/dev-stack.js` (Temporal dev server,
 * migrations, API, worker, projection) on other ports, with booking, payments and ticketing in
 * three fresh databases beside a shared one. The experiment never touches `npm start`'s data.
 */
export interface ExperimentStack {
  baseUrl: string;
  cfg: Config;
  /** The environment the stack's processes got; a process of the experiment's own uses it too. */
  env: Record<string, string>;
  stores: StoreHandles;
  storeSqls: InvariantStores;
  temporal: Client;
  stop(): Promise<void>;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', ...(import.meta.url.includes('/dist/') ? ['..'] : []));

export function experimentEnv(name: string, ports: { api: number; temporal: number; ui: number }, extra: Record<string, string> = {}): Record<string, string> {
  const database = (suffix: string, role: string) => `postgres://${role}@127.0.0.1:5432/boxoffice_experiment_${name}${suffix}`;
  return {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    PORT: String(ports.api),
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    TEMPORAL_UI_URL: `http://localhost:${ports.ui}`,
    DATABASE_URL: database('', 'postgres'),
    BOOKING_DATABASE_URL: database('_booking', 'boxoffice_booking'),
    PAYMENTS_DATABASE_URL: database('_payments', 'boxoffice_payments'),
    TICKETING_DATABASE_URL: database('_ticketing', 'boxoffice_ticketing'),
    ...extra,
  };
}

async function waitForReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  await pollUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`the experiment stack exited (code ${child.exitCode}) before it was ready`);
      try {
        return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok || undefined;
      } catch {
        return undefined; // not up yet
      }
    },
    { timeoutMs, intervalMs: 300, what: `${url} to answer` },
  );
}

/** Starts the stack on fresh databases; its output goes to .data/logs/experiment-<name>.log. */
export async function startExperimentStack(env: Record<string, string>, log: (line: string) => void): Promise<ExperimentStack> {
  const cfg = loadConfig({ ...process.env, ...env });
  for (const url of distinctStoreOwnerUrls(cfg)) await dropScratchDatabase(url, 'experiment');
  mkdirSync(path.join(root, '.data', 'logs'), { recursive: true });
  const logFile = path.join(root, '.data', 'logs', `${new URL(cfg.DATABASE_URL).pathname.slice(1)}.log`);
  const output = createWriteStream(logFile);
  log(`starting the experiment stack (API :${cfg.PORT}, Temporal ${cfg.TEMPORAL_ADDRESS}); its log: ${path.relative(process.cwd(), logFile)}`);
  const child = spawn(process.execPath, [path.join(root, 'dist', 'scripts', 'dev-stack.js')], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(output);
  child.stderr.pipe(output);
  const stopChild = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
  };
  try {
    await waitForReady(`http://127.0.0.1:${cfg.PORT}/readyz`, child, 10 * 60_000);
  } catch (error) {
    await stopChild();
    throw error;
  }
  const stores = connectStoresAsOwner({ cfg, max: 2 });
  const connection = await Connection.connect({ address: cfg.TEMPORAL_ADDRESS });
  return {
    baseUrl: `http://127.0.0.1:${cfg.PORT}`,
    cfg,
    env,
    stores,
    storeSqls: storeSqls(stores),
    temporal: new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE }),
    async stop() {
      await connection.close();
      await stores.close();
      await stopChild();
      output.end();
    },
  };
}
