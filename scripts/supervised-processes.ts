import { spawn } from 'node:child_process';
import { pollUntil } from '../lib/poll.js';
import type { ExitReason } from './restart-policy.js';
import type { Running, Service } from './supervisor.js';
import { startDevServer, type DevServerOptions } from './temporal-cli.js';

/** The processes `npm start` supervises: Node children (API, worker, projection) and the Temporal dev server. */
export interface NodeServiceOptions {
  /** Arguments to `node` (script and flags). */
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Time a child gets to stop after SIGTERM before SIGKILL. */
  stopGraceMs?: number;
  /** Where the child's lines go, already prefixed with `[name] `; by default this process's stdout and stderr. */
  write?: (stream: 'stdout' | 'stderr', line: string) => void;
}

const writeToOwn = (stream: 'stdout' | 'stderr', line: string) => (stream === 'stdout' ? process.stdout : process.stderr).write(line + '\n');

/** A Node child whose output lines carry its name, as `[api] ...`. */
export function nodeService(name: string, options: NodeServiceOptions): Service {
  const write = options.write ?? writeToOwn;
  const graceMs = options.stopGraceMs ?? 15_000;
  return {
    name,
    async start(): Promise<Running> {
      const child = spawn(process.execPath, options.args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
      const relay = (stream: NodeJS.ReadableStream, to: 'stdout' | 'stderr') => {
        let buffered = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          buffered += chunk;
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) write(to, `[${name}] ${line}`);
        });
        stream.on('end', () => buffered && write(to, `[${name}] ${buffered}`));
      };
      relay(child.stdout, 'stdout');
      relay(child.stderr, 'stderr');
      const exited = new Promise<ExitReason>((resolve) => {
        // 'close', not 'exit': after the child's last lines, so they come before the line saying it exited.
        child.once('close', (code, signal) => resolve({ code, signal }));
        // Spawning itself failed (no 'exit' follows).
        child.once('error', (error) => resolve({ code: null, signal: null, error: error.message }));
      });
      const stop = async () => {
        if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
          const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          child.kill('SIGTERM');
          await exited;
          clearTimeout(killer);
        }
      };
      return { pid: child.pid, exited, stop };
    },
  };
}

/**
 * The Temporal dev server, on the same ports and SQLite file at every start, so workflows carry on
 * from where a dead server left them. One already answering on the port was not started here and is
 * left alone.
 */
export function temporalService(options: DevServerOptions, name = 'temporal'): Service {
  return {
    name,
    stopPhase: 1,
    async start(): Promise<Running | undefined> {
      const server = await startDevServer(options);
      if (!server.startedHere || !server.exited) return undefined;
      return { pid: server.pid, exited: server.exited, stop: () => server.stop() };
    },
  };
}

/** Readiness by HTTP: `url` answers 200 (an API's /readyz, the Web UI). */
export function httpReady(url: string, timeoutMs = 60_000): () => Promise<void> {
  return async () => {
    await pollUntil(
      async () => {
        try {
          return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok || undefined;
        } catch {
          return undefined; // not up yet
        }
      },
      { timeoutMs, intervalMs: 300, what: `${url} to answer 200` },
    );
  };
}
