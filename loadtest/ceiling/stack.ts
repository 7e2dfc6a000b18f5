import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pollUntil } from '../../lib/poll.js';
import { ApiClient, TransportError } from '../http-client.js';

/**
 * (c)'s stack: the real API, worker and projection as child processes from the sources (tsx, as
 * loadtest/chaos-stack.ts runs them), pointed at the bench's Temporal server and scratch database.
 * Not supervised: a child that dies fails the bench, which is what a benchmark should do.
 */
export type StackProcess = 'api' | 'worker' | 'projection';

export interface BenchStack {
  baseUrl: string;
  pids: Record<StackProcess, number>;
  stop(): Promise<void>;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const scripts: Record<StackProcess, string> = { api: 'api/main.ts', worker: 'worker/main.ts', projection: 'worker/projection.ts' };

/**
 * How the children run: from the sources under tsx (the default, as the rows of docs/performance.md
 * were measured), or the compiled files of `npm run build` as `npm start` runs them, with or without
 * `--enable-source-maps` (BENCH_STACK=tsx | dist | dist-source-maps).
 */
function nodeArgs(name: StackProcess): string[] {
  // BENCH_CPU_PROF_DIR: each child (and each of its threads) writes a V8 CPU profile there when it exits.
  const profile = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.join(process.env.BENCH_CPU_PROF_DIR, name)}`] : [];
  return [...profile, ...runtimeArgs(name)];
}

function runtimeArgs(name: StackProcess): string[] {
  const stack = process.env.BENCH_STACK ?? 'tsx';
  const compiled = path.join(root, 'dist', scripts[name].replace(/\.ts$/, '.js'));
  if (stack === 'dist') return [compiled];
  if (stack === 'dist-source-maps') return ['--enable-source-maps', compiled];
  if (stack === 'tsx') return ['--import', 'tsx', path.join(root, scripts[name])];
  throw new Error(`BENCH_STACK=${stack}: expected tsx, dist or dist-source-maps`);
}

export async function startBenchStack(env: Record<string, string>, port: number, logFile: string): Promise<BenchStack> {
  const logs = createWriteStream(logFile, { flags: 'a' });
  const children = new Map<StackProcess, ChildProcess>();
  // Every store in the one scratch database: per-store URLs of the caller's shell would point elsewhere.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.endsWith('DATABASE_URL')));
  const stop = async () => {
    await Promise.all(
      [...children.values()].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }),
    );
    logs.end();
  };
  for (const name of Object.keys(scripts) as StackProcess[]) {
    const child = spawn(process.execPath, nodeArgs(name), {
      cwd: root,
      env: { ...inherited, ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(logs, { end: false });
    child.stderr?.pipe(logs, { end: false });
    children.set(name, child);
  }
  const baseUrl = `http://127.0.0.1:${port}`;
  const probe = new ApiClient(baseUrl, { maxSockets: 1, timeoutMs: 2000 });
  try {
    await pollUntil(
      async () => {
        for (const [name, child] of children) if (child.exitCode !== null) throw new Error(`the bench stack's ${name} exited (code ${child.exitCode}); see ${logFile}`);
        try {
          return (await probe.get<unknown>('/readyz')).status === 200 || undefined;
        } catch (error) {
          if (error instanceof TransportError) return undefined; // not listening yet
          throw error;
        }
      },
      { timeoutMs: 120_000, intervalMs: 300, what: `${baseUrl}/readyz (see ${logFile})` },
    );
  } catch (error) {
    await stop();
    throw error;
  } finally {
    probe.close();
  }
  const pid = (name: StackProcess) => {
    const value = children.get(name)?.pid;
    if (value === undefined) throw new Error(`the bench stack's ${name} has no pid`);
    return value;
  };
  return { baseUrl, pids: { api: pid('api'), worker: pid('worker'), projection: pid('projection') }, stop };
}
