import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { config } from '../lib/config.js';
import { pollUntil } from '../lib/poll.js';

/**
 * Finds, builds and runs the real Temporal CLI dev server. The CLI cannot be downloaded on these
 * machines, so it is built once from Go modules into a cache outside the repository.
 */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const CLI_MODULE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;

export const searchAttributes = {
  EventId: 'Keyword',
  CustomerId: 'Keyword',
  ReservationStatus: 'Keyword',
  SeatIds: 'KeywordList',
} as const;

export class TemporalCliUnavailableError extends Error {
  override name = 'TemporalCliUnavailableError';
}

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(base, 'boxoffice', `temporal-${TEMPORAL_CLI_VERSION}`);
}

function onPath(command: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  const location = found.stdout.trim();
  return found.status === 0 && location ? location : undefined;
}

/** TEMPORAL_CLI, then `temporal` on PATH, then the cached build, else builds it with `go install`. */
export function findTemporalCli(log: (line: string) => void = console.log): string {
  const explicit = process.env.TEMPORAL_CLI;
  if (explicit) {
    if (!existsSync(explicit)) throw new TemporalCliUnavailableError(`TEMPORAL_CLI=${explicit} does not exist`);
    return explicit;
  }
  const fromPath = onPath('temporal');
  if (fromPath) return fromPath;
  const gobin = cacheDir();
  const cached = path.join(gobin, 'temporal');
  if (existsSync(cached)) return cached;
  const go = onPath('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new TemporalCliUnavailableError(
      'The Temporal CLI was not found and Go is not installed to build it.\n' +
        `Install Go (https://go.dev/dl) and run: go install ${CLI_MODULE}\n` +
        'or put `temporal` on PATH, or set TEMPORAL_CLI to its path.',
    );
  }
  log(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} from Go modules into ${gobin} (once; takes a few minutes)...`);
  mkdirSync(gobin, { recursive: true });
  const build = spawnSync(go, ['install', CLI_MODULE], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOBIN: gobin, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
  });
  if (build.status !== 0 || !existsSync(cached)) {
    throw new TemporalCliUnavailableError(
      `go install ${CLI_MODULE} failed (exit ${build.status}). Check network access to the Go module proxy, ` +
        'or install the Temporal CLI yourself and set TEMPORAL_CLI.',
    );
  }
  return cached;
}

export interface DevServerOptions {
  cli: string;
  port: number;
  /** Omit for a headless server. */
  uiPort?: number;
  dbFile: string;
  logFile: string;
  namespace?: string;
  /** The dev server's dynamic-config tuning (devServerTuning); default TEMPORAL_DEV_TUNING. */
  tuning?: 'on' | 'off';
}

export interface DevServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface DevServer {
  address: string;
  /** False when an already running server was found and reused. */
  startedHere: boolean;
  /** The server's process, when started here. */
  pid?: number;
  /** Settles when a server started here exits, for whatever reason (npm start restarts it). */
  exited?: Promise<DevServerExit>;
  stop(): Promise<void>;
}

/** The server's command line: persistent SQLite file, our search attributes, quiet logs. */
export function devServerArgs(options: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--db-filename', options.dbFile];
  args.push('--namespace', options.namespace ?? 'default', '--log-level', 'warn');
  args.push('--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL');
  if (options.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort), '--ui-ip', '127.0.0.1');
  for (const [name, type] of Object.entries(searchAttributes)) args.push('--search-attribute', `${name}=${type}`);
  if ((options.tuning ?? config().TEMPORAL_DEV_TUNING) === 'on') for (const value of devServerTuning) args.push('--dynamic-config-value', value);
  return args;
}

/**
 * What the CLI's dev server spends on every booking without need (docs/performance.md): it forces a
 * re-read of cluster metadata from SQLite on every search-attribute lookup, and splits each task
 * queue into 4 partitions that one dev server gains nothing from.
 */
export const devServerTuning = [
  'system.forceSearchAttributesCacheRefreshOnRead=false',
  'matching.numTaskqueueReadPartitions=1',
  'matching.numTaskqueueWritePartitions=1',
] as const;

/** Asks the server's health endpoint through the CLI (no gRPC client state to leak into this process). */
export async function isTemporalUp(cli: string, address: string, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = spawn(cli, ['operator', 'cluster', 'health', '--address', address, '--command-timeout', `${Math.ceil(timeoutMs / 1000)}s`], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    probe.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    probe.once('error', () => resolve(false));
    probe.once('exit', (code) => resolve(code === 0 && out.includes('SERVING')));
  });
}

async function waitUntilUp(cli: string, address: string, child: ChildProcess, timeoutMs: number, logFile: string): Promise<void> {
  await pollUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`Temporal dev server exited with code ${child.exitCode}; see ${logFile}`);
      return (await isTemporalUp(cli, address)) || undefined;
    },
    { timeoutMs, intervalMs: 250, what: `the Temporal dev server on ${address} (see ${logFile})` },
  );
}

/** Starts `temporal server start-dev`, or reuses a server already answering on the port. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const address = `127.0.0.1:${options.port}`;
  if (await isTemporalUp(options.cli, address)) return { address, startedHere: false, stop: async () => {} };
  mkdirSync(path.dirname(options.dbFile), { recursive: true });
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const logStream = createWriteStream(options.logFile, { flags: 'a' });
  // Its own process group: Ctrl-C in the terminal reaches the API and workers, which stop first;
  // the server is stopped last, by stop(), so they never lose it while shutting down.
  const child = spawn(options.cli, devServerArgs(options), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  // Two sources into one file: neither may end it (the other could still write after), the close does.
  child.stdout?.pipe(logStream, { end: false });
  child.stderr?.pipe(logStream, { end: false });
  const exited = new Promise<DevServerExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.once('close', () => logStream.end());
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
  };
  try {
    await waitUntilUp(options.cli, address, child, 60_000, options.logFile);
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, startedHere: true, pid: child.pid, exited, stop };
}
