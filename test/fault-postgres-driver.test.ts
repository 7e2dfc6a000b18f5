import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPrivatePostgres, type PrivatePostgres } from '../scripts/private-postgres.js';

/**
 * postgres.js 3.4.9 dies of an uncaught TypeError when Postgres restarts under a transaction in
 * flight (db/postgres-driver.ts says how); our patched copy survives, reconnects and re-LISTENs.
 */
let cluster: PrivatePostgres;
beforeAll(() => {
  cluster = createPrivatePostgres({ port: 55441 });
});
afterAll(() => cluster?.remove());

async function underRestart(which: 'patched' | 'unpatched'): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/restart-probe.ts', which, cluster.url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const loaded = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('LOADED')) resolve();
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then(() => reject(new Error(`probe exited before it was loaded: ${output}`)));
  });
  try {
    await loaded;
    cluster.restart();
    return { code: await exited, output };
  } finally {
    child.kill('SIGKILL');
  }
}

it('unpatched postgres.js: a Postgres restart under load kills the process from nextWrite', async () => {
  const { code, output } = await underRestart('unpatched');
  expect(code).toBe(1);
  expect(output).toContain("TypeError: Cannot read properties of null (reading 'write')");
  expect(output).toMatch(/at Immediate\.nextWrite .*postgres\/src\/connection\.js/);
}, 30_000);

it('patched postgres.js: the process rides the restart out, reconnects its pool and its LISTEN', async () => {
  const { code, output } = await underRestart('patched');
  expect(output).toContain('RECOVERED');
  expect(code).toBe(0);
}, 30_000);
