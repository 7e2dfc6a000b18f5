import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { connectStoresAsOwner, storeSqls, type StoreHandles } from '../db/client.js';
import type { InvariantStores } from '../db/invariants.js';
import { loadConfig, type Config } from '../lib/config.js';
import { pollUntil } from '../lib/poll.js';
import { prepareDatabases } from '../scripts/prepare-databases.js';
import { createPrivatePostgres, type PrivatePostgres } from '../scripts/private-postgres.js';
import { devServerArgs, findTemporalCli, isTemporalUp } from '../scripts/temporal-cli.js';
import { ApiClient, TransportError } from './http-client.js';

/**
 * The chaos experiment's own stack, so that killing and restarting things disturbs nobody: a
 * private Postgres cluster, a Temporal dev server on its own port and database file, two API
 * processes, a worker and a projection, run from the sources (tsx). It supervises its children
 * itself: one that exits is started again at once, and counted.
 */
export interface ChaosPorts {
  postgres: number;
  temporal: number;
  apis: readonly number[];
}

export type ProcessName = 'worker' | 'projection' | `api-${number}`;

export interface ChaosStack {
  cfg: Config;
  postgres: PrivatePostgres;
  baseUrls: string[];
  stores: StoreHandles;
  storeSqls: InvariantStores;
  temporal: Client;
  temporalAddress: string;
  /** SIGKILL, no goodbye; the supervisor starts it again. */
  kill(name: ProcessName): void;
  /** The Temporal dev server: SIGKILL, and start it again later on the same database file. */
  killTemporal(): void;
  startTemporal(): Promise<void>;
  /** Restarts each process has had since the stack started. */
  restarts(): Record<string, number>;
  /** Every API answers /readyz 200 (undefined: not all of them). */
  allReady(): Promise<boolean>;
  stop(): Promise<void>;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** A supervised child that exits is started again after this pause (a crash loop then costs little). */
const RESTART_PAUSE_MS = 200;

interface Supervised {
  name: ProcessName;
  script: string;
  env: Record<string, string>;
  child?: ChildProcess;
  restarts: number;
}

export async function startChaosStack(ports: ChaosPorts, extraEnv: Record<string, string>, log: (line: string) => void): Promise<ChaosStack> {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'boxoffice-chaos-'));
  mkdirSync(path.join(root, '.data', 'logs'), { recursive: true });
  const logs: WriteStream = createWriteStream(path.join(root, '.data', 'logs', 'experiment-chaos.log'), { flags: 'a' });
  let stopping = false;
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(folder, { recursive: true, force: true })];
  const stop = async () => {
    stopping = true;
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    logs.end();
  };
  try {
    log(`private Postgres on :${ports.postgres}, Temporal on :${ports.temporal}, APIs on ${ports.apis.map((port) => `:${port}`).join(' ')}; logs: .data/logs/experiment-chaos.log`);
    const postgres = createPrivatePostgres({ port: ports.postgres });
    cleanups.push(() => postgres.remove());
    const databaseUrl = postgres.url.replace(/\/postgres$/, '/boxoffice_chaos');
    const env: Record<string, string> = { NODE_ENV: 'development', LOG_LEVEL: 'warn', EXPERIMENTS: 'on', DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`, ...extraEnv };
    const cfg = loadConfig({ ...process.env, ...env });
    await prepareDatabases(cfg, (line) => log(`postgres: ${line}`));

    // The Temporal dev server, spawned here (not through startDevServer) so that it can be SIGKILLed.
    const cli = findTemporalCli(log);
    const temporalAddress = `127.0.0.1:${ports.temporal}`;
    if (await isTemporalUp(cli, temporalAddress)) throw new Error(`a Temporal server already answers on ${temporalAddress}: pick another --temporal-port`);
    const dbFile = path.join(folder, 'temporal.sqlite');
    let temporalChild: ChildProcess | undefined;
    const startTemporal = async () => {
      const child = spawn(cli, devServerArgs({ cli, port: ports.temporal, dbFile, logFile: '' }), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      child.stdout?.pipe(logs, { end: false });
      child.stderr?.pipe(logs, { end: false });
      temporalChild = child;
      await pollUntil(async () => (child.exitCode !== null ? Promise.reject(new Error(`Temporal exited (${child.exitCode})`)) : (await isTemporalUp(cli, temporalAddress)) || undefined), { timeoutMs: 60_000, intervalMs: 200, what: 'the Temporal dev server' });
    };
    const killTemporal = () => {
      if (temporalChild?.pid && temporalChild.exitCode === null) process.kill(-temporalChild.pid, 'SIGKILL');
    };
    cleanups.push(async () => {
      const child = temporalChild;
      if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGTERM');
      const killer = setTimeout(killTemporal, 10_000);
      await exited;
      clearTimeout(killer);
    });
    await startTemporal();

    const processes: Supervised[] = [
      { name: 'worker', script: 'worker/main.ts', env, restarts: 0 },
      { name: 'projection', script: 'worker/projection.ts', env, restarts: 0 },
      ...ports.apis.map((port, i): Supervised => ({ name: `api-${i + 1}`, script: 'api/main.ts', env: { ...env, PORT: String(port) }, restarts: 0 })),
    ];
    const launch = (spec: Supervised) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, spec.script)], { cwd: root, env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.pipe(logs, { end: false });
      child.stderr?.pipe(logs, { end: false });
      spec.child = child;
      child.once('exit', (code, signal) => {
        if (stopping) return;
        spec.restarts++;
        log(`${spec.name} exited (${signal ?? `code ${code}`}); starting it again`);
        void delay(RESTART_PAUSE_MS).then(() => stopping || launch(spec));
      });
    };
    cleanups.push(() =>
      Promise.all(
        processes.map(async ({ child }) => {
          if (!child || child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(killer);
        }),
      ).then(() => undefined),
    );
    for (const spec of processes) launch(spec);

    const baseUrls = ports.apis.map((port) => `http://127.0.0.1:${port}`);
    const probes = baseUrls.map((url) => new ApiClient(url, { maxSockets: 1, timeoutMs: 2000 }));
    cleanups.push(() => probes.forEach((probe) => probe.close()));
    const allReady = async () => {
      const answers = await Promise.all(probes.map((probe) => probe.get<unknown>('/readyz').then((answer) => answer.status === 200, (error: unknown) => (error instanceof TransportError ? false : Promise.reject(error)))));
      return answers.every(Boolean);
    };
    await pollUntil(async () => (await allReady()) || undefined, { timeoutMs: 120_000, intervalMs: 300, what: 'every API of the chaos stack to be ready' });

    const stores = connectStoresAsOwner({ cfg, max: 2 });
    cleanups.push(() => stores.close());
    const connection = await Connection.connect({ address: temporalAddress });
    cleanups.push(() => connection.close());
    return {
      cfg,
      postgres,
      baseUrls,
      stores,
      storeSqls: storeSqls(stores),
      temporal: new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE }),
      temporalAddress,
      kill(name) {
        const child = processes.find((spec) => spec.name === name)?.child;
        if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
      killTemporal,
      startTemporal,
      restarts: () => Object.fromEntries(processes.map((spec) => [spec.name, spec.restarts])),
      allReady,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
