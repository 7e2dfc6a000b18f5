import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultDatabaseUrl } from '../lib/config.js';

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
