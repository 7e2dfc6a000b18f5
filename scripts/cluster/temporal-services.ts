import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pollUntil } from '../../lib/poll.js';
import type { ExitReason } from '../restart-policy.js';
import type { Running, Service } from '../supervisor.js';
import { isTemporalUp, searchAttributes } from '../temporal-cli.js';

/**
 * The cluster's two Go processes as supervised services: the Temporal server (four services in one
 * process, on Postgres) and the standalone Web UI. Each runs in a process group of its own, so that
 * Ctrl-C reaches the Node processes first and these are stopped last, by the supervisor.
 */
export interface BinaryServiceOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  stopPhase: number;
  /** Resolves once the process answers; throws if it never does. */
  ready(): Promise<void>;
}

export function binaryService(options: BinaryServiceOptions): Service {
  return {
    name: options.name,
    stopPhase: options.stopPhase,
    async start(): Promise<Running> {
      mkdirSync(path.dirname(options.logFile), { recursive: true });
      const log = createWriteStream(options.logFile, { flags: 'a' });
      const child = spawn(options.command, options.args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      child.stdout.pipe(log, { end: false });
      child.stderr.pipe(log, { end: false });
      const exited = new Promise<ExitReason>((resolve) => {
        child.once('close', (code, signal) => {
          log.end();
          resolve({ code, signal });
        });
        child.once('error', (error) => resolve({ code: null, signal: null, error: error.message }));
      });
      const stop = async () => {
        if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.kill('SIGTERM');
        await exited;
        clearTimeout(killer);
      };
      const ended = exited.then((exit) => {
        throw new Error(`${options.name} exited (${exit.error ?? exit.signal ?? `code ${exit.code}`}) while starting; see ${options.logFile}`);
      });
      try {
        await Promise.race([options.ready(), ended]);
      } catch (error) {
        await stop();
        throw error;
      }
      ended.catch(() => {}); // its exit from now on is the supervisor's business
      return { pid: child.pid, exited, stop };
    },
  };
}

/** Waits for the frontend's health check to say SERVING (the history shards may take a while to be owned). */
export function temporalReady(cli: string, address: string, timeoutMs = 120_000): () => Promise<void> {
  return async () => {
    await pollUntil(async () => (await isTemporalUp(cli, address)) || undefined, { timeoutMs, intervalMs: 500, what: `the Temporal server on ${address}` });
  };
}


function cliRun(cli: string, address: string, args: string[]): { ok: boolean; out: string } {
  const result = spawnSync(cli, [...args, '--address', address, '--command-timeout', '20s'], { encoding: 'utf8' });
  return { ok: result.status === 0, out: `${result.stdout}${result.stderr}` };
}

/**
 * What the dev server gets from its command line: the namespace and the project's search
 * attributes (scripts/temporal-cli.ts searchAttributes). Creates only what is missing.
 */
export async function ensureNamespace(cli: string, address: string, namespace: string, say: (line: string) => void): Promise<void> {
  if (!cliRun(cli, address, ['operator', 'namespace', 'describe', '--namespace', namespace]).ok) {
    const created = cliRun(cli, address, ['operator', 'namespace', 'create', '--namespace', namespace, '--retention', '72h']);
    if (!created.ok && !/already/i.test(created.out)) throw new Error(`creating the namespace ${namespace} failed:\n${created.out}`);
    say(`Temporal: namespace ${namespace} created`);
  }
  // A new namespace reaches every service's namespace cache within its refresh interval (~10 s).
  await pollUntil(async () => cliRun(cli, address, ['operator', 'search-attribute', 'list', '--namespace', namespace]).ok || undefined, {
    timeoutMs: 60_000,
    intervalMs: 1000,
    what: `the namespace ${namespace} to be usable`,
  });
  const listed = cliRun(cli, address, ['operator', 'search-attribute', 'list', '--namespace', namespace, '--output', 'json']);
  for (const [name, type] of Object.entries(searchAttributes)) {
    if (listed.out.includes(`"${name}"`)) continue;
    const created = cliRun(cli, address, ['operator', 'search-attribute', 'create', '--namespace', namespace, '--name', name, '--type', type]);
    if (!created.ok && !/already/i.test(created.out)) throw new Error(`creating the search attribute ${name} failed:\n${created.out}`);
    say(`Temporal: search attribute ${name} (${type}) created`);
  }
}
