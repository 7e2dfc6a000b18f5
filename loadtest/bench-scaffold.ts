import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectStoresAsOwner, type StoreHandles } from '../db/client.js';
import { dropScratchDatabase } from '../db/migrate.js';
import { defaultDatabaseUrl, loadConfig, type Config } from '../lib/config.js';
import { prepareDatabases } from '../scripts/prepare-databases.js';
import { findTemporalCli, isTemporalUp, startDevServer } from '../scripts/temporal-cli.js';
import { startBenchStack, type BenchStack } from './ceiling/stack.js';
import { ApiClient } from './http-client.js';

/** A figure for a bench's output: `n/a` where there is none. */
export const fixed = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? Number.NaN : sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

export interface BenchScaffold {
  /** A temp folder of the bench's own (the dev server's SQLite file, logs); removed at the end. */
  folder: string;
  /** The bench's scratch database on the default server. */
  databaseUrl: string;
  /** Undone in reverse order by `cleanUp` (which also stops the watchdog). */
  cleanups: (() => Promise<void> | void)[];
  cleanUp(): Promise<void>;
}

/**
 * What every bench that runs a stack of its own needs: a temp folder, a scratch database name, and
 * clean-ups that run on the way out whatever happens — at the end, on Ctrl-C, or when the watchdog
 * decides a run has hung, so that no server or database is left behind.
 */
export function benchScaffold(name: string, watchdogMs: number, log: (line: string) => void): BenchScaffold {
  const folder = mkdtempSync(path.join(os.tmpdir(), `boxoffice-bench-${name}-`));
  const url = new URL(defaultDatabaseUrl);
  url.pathname = `/boxoffice_bench_${name.replaceAll('-', '_')}`;
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(folder, { recursive: true, force: true })];

  async function cleanUp(): Promise<void> {
    clearTimeout(watchdog);
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  const watchdog = setTimeout(() => {
    log(`still running after ${watchdogMs / 60_000} min: stopping`);
    void cleanUp().finally(() => process.exit(2));
  }, watchdogMs);
  watchdog.unref();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  return { folder, databaseUrl: url.toString(), cleanups, cleanUp };
}

export interface OwnStack {
  cfg: Config;
  stack: BenchStack;
  api: ApiClient;
  /** The stores as their owner, for setting up and for the invariant check. */
  stores: StoreHandles;
}

/**
 * A Temporal dev server of the bench's own, its scratch database migrated, and the real API, worker
 * and projection as child processes (BENCH_STACK, loadtest/ceiling/stack.ts), each undone by the
 * scaffold's clean-up. Refuses to start when a server already answers on the port.
 */
export async function startOwnStack(
  scaffold: BenchScaffold,
  options: { temporalPort: number; apiPort: number; maxSockets: number; env?: Record<string, string>; log: (line: string) => void },
): Promise<OwnStack> {
  const { folder, databaseUrl, cleanups } = scaffold;
  const cli = findTemporalCli(options.log);
  const address = `127.0.0.1:${options.temporalPort}`;
  if (await isTemporalUp(cli, address)) throw new Error(`a Temporal server already answers on ${address}; stop it first (or set BENCH_TEMPORAL_PORT)`);
  const server = await startDevServer({ cli, port: options.temporalPort, dbFile: path.join(folder, 'temporal.sqlite'), logFile: path.join(folder, 'temporal.log') });
  cleanups.push(() => server.stop());
  options.log(`Temporal dev server on ${address}; scratch database ${new URL(databaseUrl).pathname.slice(1)}; temp folder ${folder}`);
  await dropScratchDatabase(databaseUrl, 'bench');
  cleanups.push(() => dropScratchDatabase(databaseUrl, 'bench'));
  const env = { NODE_ENV: 'development', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: address, ...options.env };
  const cfg = loadConfig(env);
  await prepareDatabases(cfg, options.log);
  const stack = await startBenchStack(env, options.apiPort, path.join(folder, 'stack.log'));
  cleanups.push(stack.stop);
  const api = new ApiClient(stack.baseUrl, { maxSockets: options.maxSockets, timeoutMs: 60_000 });
  cleanups.push(() => api.close());
  const stores = connectStoresAsOwner({ cfg, max: 2 });
  cleanups.push(() => stores.close());
  return { cfg, stack, api, stores };
}
