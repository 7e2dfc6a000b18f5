import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A Postgres cluster of the project's own, in a temporary folder on a port of its own: fault tests
 * and the chaos experiment restart and kill *this* one, never the machine's shared cluster, and
 * remove it when they are done. Uses the server binaries of the installed Postgres (Debian's
 * /usr/lib/postgresql/<version>/bin); as root, the server runs as the `postgres` user.
 */
export interface PrivatePostgres {
  port: number;
  /** Owner connection to the `postgres` database; build other databases' URLs from it. */
  url: string;
  /** `pg_ctl restart -m fast`: every connection is dropped, as in a real restart. */
  restart(): void;
  /** Stops the server at once (`-m immediate`: no clean shutdown), as a crash would. */
  kill(): void;
  start(): void;
  /** Stops the server and removes its folder. */
  remove(): void;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const dir = path.join(root, version, 'bin');
    if (existsSync(path.join(dir, 'pg_ctl'))) return dir;
  }
  throw new Error('No Postgres server binaries under /usr/lib/postgresql: install the postgresql package');
}

export function createPrivatePostgres(options: { port: number; settings?: Record<string, string> }): PrivatePostgres {
  const bin = binDir();
  const asRoot = process.getuid?.() === 0;
  const folder = mkdtempSync(path.join(os.tmpdir(), 'boxoffice-pg-'));
  const data = path.join(folder, 'data');
  const log = path.join(folder, 'postgres.log');
  if (asRoot) {
    chmodSync(folder, 0o777);
    execFileSync('chown', ['postgres:postgres', folder]);
  }
  const run = (tool: string, args: string[]) => {
    const command = asRoot ? 'runuser' : path.join(bin, tool);
    const argv = asRoot ? ['-u', 'postgres', '--', path.join(bin, tool), ...args] : args;
    const result = spawnSync(command, argv, { encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  };
  const settings = { max_prepared_transactions: '100', max_connections: '200', fsync: 'off', ...options.settings };
  const serverOptions = [`-p ${options.port}`, `-k ${folder}`, "-c listen_addresses='127.0.0.1'", ...Object.entries(settings).map(([key, value]) => `-c ${key}=${value}`)].join(' ');
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const pgCtl = (...args: string[]) => run('pg_ctl', ['-D', data, '-l', log, '-o', serverOptions, '-w', '-t', '30', ...args]);
  pgCtl('start');
  let removed = false;
  return {
    port: options.port,
    url: `postgres://postgres@127.0.0.1:${options.port}/postgres`,
    restart: () => pgCtl('restart', '-m', 'fast'),
    kill: () => pgCtl('stop', '-m', 'immediate'),
    start: () => pgCtl('start'),
    remove() {
      if (removed) return;
      removed = true;
      try {
        pgCtl('stop', '-m', 'immediate');
      } catch {
        // already stopped
      }
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
