import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { connectStoresAsOwner, storeSqls, type StoreHandles } from '../db/client.js';
import type { InvariantStores } from '../db/invariants.js';
import { dropScratchDatabase } from '../db/migrate.js';
import { defaultDatabaseUrl, distinctStoreOwnerUrls, loadConfig, type Config } from '../lib/config.js';
import { pollUntil } from '../lib/poll.js';
import { ApiClient, TransportError } from './http-client.js';

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
  // Beside the development database, on the same server: boxoffice_experiment_<name>[_<service>].
  const database = (suffix: string, role: string) => {
    const url = new URL(defaultDatabaseUrl);
    url.username = role;
    url.pathname = `${url.pathname}_experiment_${name}${suffix}`;
    return url.toString();
  };
  return {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    // The experiments choose the protocol per request (Booking-Protocol).
    EXPERIMENTS: 'on',
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

async function waitForReady(baseUrl: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const api = new ApiClient(baseUrl, { maxSockets: 1, timeoutMs: 2000 });
  try {
    await pollUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`the experiment stack exited (code ${child.exitCode}) before it was ready`);
        try {
          return (await api.get<unknown>('/readyz')).status === 200 || undefined;
        } catch (error) {
          if (error instanceof TransportError) return undefined; // not up yet
          throw error;
        }
      },
      { timeoutMs, intervalMs: 300, what: `${baseUrl}/readyz to answer` },
    );
  } finally {
    api.close();
  }
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
    await waitForReady(`http://127.0.0.1:${cfg.PORT}`, child, 10 * 60_000);
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
