import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pollUntil } from '../../lib/poll.js';
import { devServerArgs, isTemporalUp } from '../../scripts/temporal-cli.js';

export interface PrivateTemporal {
  address: string;
  /** SIGKILL, as a crash would: no shutdown, the SQLite file left as it is. */
  kill(): Promise<void>;
  /** Starts the server again on the same database file; resolves once it answers. */
  start(): Promise<void>;
  /** Stops the server and deletes its folder. */
  remove(): Promise<void>;
}

/**
 * A Temporal dev server of the test's own (own port, headless, SQLite file in a temp folder), for
 * tests that kill it: startDevServer would do, but it cannot be killed without a shutdown.
 */
export async function startPrivateTemporal(options: { cli: string; port: number }): Promise<PrivateTemporal> {
  const address = `127.0.0.1:${options.port}`;
  if (await isTemporalUp(options.cli, address, 1000)) throw new Error(`Something already answers on ${address}: this test needs the port to itself`);
  const folder = mkdtempSync(path.join(os.tmpdir(), 'boxoffice-temporal-fault-'));
  const args = devServerArgs({ cli: options.cli, port: options.port, dbFile: path.join(folder, 'temporal.sqlite'), logFile: path.join(folder, 'temporal.log') });
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    const running = spawn(options.cli, args, { stdio: 'ignore' });
    child = running;
    await pollUntil(
      async () => {
        if (running.exitCode !== null || running.signalCode !== null) throw new Error(`the Temporal dev server on ${address} exited (${running.exitCode ?? running.signalCode})`);
        return (await isTemporalUp(options.cli, address, 1000)) || undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: `the Temporal dev server on ${address}` },
    );
  }

  async function signal(name: NodeJS.Signals): Promise<void> {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(name);
    await exited;
  }

  try {
    await start();
  } catch (error) {
    await signal('SIGKILL');
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
  return {
    address,
    start,
    kill: () => signal('SIGKILL'),
    async remove() {
      await signal('SIGKILL');
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
