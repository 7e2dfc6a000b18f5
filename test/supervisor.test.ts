import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { pollUntil } from '../lib/poll.js';
import type { RestartPolicy } from '../scripts/restart-policy.js';
import { nodeService, temporalService } from '../scripts/supervised-processes.js';
import { Supervisor } from '../scripts/supervisor.js';
import { isTemporalUp } from '../scripts/temporal-cli.js';

/** npm start's supervisor with real child processes: tiny Node scripts, and a real Temporal dev server. */
const scripts = {
  crashes: `console.log('up'); setTimeout(() => process.exit(3), 50);`,
  exitsSoon: `console.log('up'); setTimeout(() => process.exit(1), 300);`,
  runs: `console.log('up'); setInterval(() => {}, 1000); process.on('SIGTERM', () => process.exit(0));`,
  ignoresSigterm: `console.log('up'); setInterval(() => {}, 1000); process.on('SIGTERM', () => console.log('not stopping'));`,
};

const quick: RestartPolicy = { initialDelayMs: 100, maxDelayMs: 400, stableAfterMs: 5000, crashLoopExits: 5, crashLoopWindowMs: 10_000 };

interface Seen {
  at: number;
  line: string;
}

function harness(policy: RestartPolicy = quick) {
  const said: Seen[] = [];
  const output: Seen[] = [];
  let gaveUp: string | undefined;
  const supervisor = new Supervisor({ policy, say: (line) => said.push({ at: Date.now(), line }), onGiveUp: (name) => (gaveUp = name) });
  const node = (name: keyof typeof scripts, stopGraceMs = 5000) =>
    nodeService(name, { args: ['-e', scripts[name]], cwd: process.cwd(), env: process.env, stopGraceMs, write: (_stream, line) => output.push({ at: Date.now(), line }) });
  const ups = (name: string) => output.filter(({ line }) => line === `[${name}] up`).map(({ at }) => at);
  const lines = (pattern: RegExp) => said.filter(({ line }) => pattern.test(line));
  const pids = (name: string) => said.map(({ line }) => new RegExp(`^${name} (?:re)?started \\(pid (\\d+)\\)`).exec(line)?.[1]).filter((pid) => pid !== undefined).map(Number);
  const waitFor = (what: string, probe: () => boolean, timeoutMs = 10_000) =>
    pollUntil(async () => probe() || undefined, { timeoutMs, intervalMs: 20, what: () => `${what}; said:\n${said.map(({ line }) => line).join('\n')}` });
  return { supervisor, node, said, output, ups, lines, pids, waitFor, gaveUp: () => gaveUp };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

describe('Node children', () => {
  it('restarts a crashing child with a doubling back-off, and gives up on a crash loop', async () => {
    const h = harness();
    cleanup.push(() => h.supervisor.stop());
    await h.supervisor.add(h.node('crashes'));
    await h.waitFor('the crash loop', () => h.gaveUp() !== undefined);
    expect(h.gaveUp()).toBe('crashes');

    const restarts = h.lines(/^crashes exited \(code 3\) after running \d+ ms; restarting it in/).map(({ line }) => /restarting it in (\d+) ms/.exec(line)?.[1]);
    expect(restarts).toEqual(['100', '200', '400', '400']);
    expect(h.lines(/^crashes exited \(code 3\) 5 times within 10 s: a crash loop; stopping everything\.$/)).toHaveLength(1);
    // Each start came at least its back-off after the previous run (50 ms) ended.
    const starts = h.ups('crashes');
    expect(starts).toHaveLength(5);
    const gaps = starts.slice(1).map((at, i) => at - (starts[i] ?? 0));
    [100, 200, 400, 400].forEach((wait, i) => expect(gaps[i]).toBeGreaterThanOrEqual(wait + 50));

    await h.supervisor.stop();
    await delay(600);
    expect(h.ups('crashes')).toHaveLength(5);
  });

  it('restarts only the child that exited; stop() ends every child, by force if it must, and restarts none', async () => {
    const h = harness({ ...quick, crashLoopExits: 0 });
    cleanup.push(() => h.supervisor.stop());
    await h.supervisor.add(h.node('runs'));
    await h.supervisor.add(h.node('ignoresSigterm', 500));
    await h.supervisor.add(h.node('exitsSoon'));
    await h.waitFor('exitsSoon restarted twice', () => h.pids('exitsSoon').length >= 3);
    expect(h.lines(/^exitsSoon exited \(code 1\) after running [\d.]+ m?s; restarting it in \d+ ms \(at [\d:]+\)\.$/).length).toBeGreaterThanOrEqual(2);
    expect(h.pids('runs')).toHaveLength(1);
    expect(h.pids('ignoresSigterm')).toHaveLength(1);
    expect(h.ups('runs')).toHaveLength(1);

    const started = Date.now();
    await h.supervisor.stop();
    const tookMs = Date.now() - started;
    expect(tookMs).toBeGreaterThanOrEqual(500); // the SIGTERM-deaf child got its grace, then SIGKILL
    expect(tookMs).toBeLessThan(3000);
    for (const name of ['runs', 'ignoresSigterm', 'exitsSoon']) for (const pid of h.pids(name)) expect(alive(pid), `${name} ${pid}`).toBe(false);
    const afterStop = h.said.length;
    await delay(700);
    expect(h.said.slice(afterStop)).toEqual([]);
    expect(h.lines(/exited .* restarting/).filter(({ at }) => at >= started)).toEqual([]);
  });

  it('a stop during the back-off wait ends it at once, without a restart', async () => {
    const h = harness({ ...quick, initialDelayMs: 5000, maxDelayMs: 5000 });
    cleanup.push(() => h.supervisor.stop());
    await h.supervisor.add(h.node('crashes'));
    await h.waitFor('the first exit', () => h.lines(/restarting it in 5 s/).length === 1);
    const started = Date.now();
    await h.supervisor.stop();
    expect(Date.now() - started).toBeLessThan(500);
    await delay(300);
    expect(h.ups('crashes')).toHaveLength(1);
    expect(h.lines(/restarted/)).toEqual([]);
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

describe('the Temporal dev server', () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'boxoffice-supervisor-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('killed with SIGKILL, is restarted on the same file and port, with its workflows; one not started here is left alone', async () => {
    const cli = inject('temporalCli');
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const options = { cli, port, dbFile: path.join(scratch, 'temporal.sqlite'), logFile: path.join(scratch, 'temporal.log') };
    const h = harness();
    cleanup.push(() => h.supervisor.stop());
    await h.supervisor.add(temporalService(options));
    const [pid] = h.pids('temporal');
    expect(pid).toBeDefined();

    // A second supervisor finds it running: reuses it, never restarts or stops it.
    const other = harness();
    await other.supervisor.add(temporalService(options));
    expect(other.lines(/^temporal: one not started here is running already; reusing it, but nothing restarts it if it stops\.$/)).toHaveLength(1);
    await other.supervisor.stop();
    expect(alive(pid ?? 0)).toBe(true);

    const connection = await Connection.connect({ address });
    cleanup.push(() => connection.close());
    const client = new Client({ connection });
    // Nothing polls this queue: the workflow simply waits, stored in the server's SQLite file.
    const handle = await client.workflow.start('supervisor-test', { taskQueue: 'supervisor-test', workflowId: `supervisor-test-${Date.now()}` });

    process.kill(pid ?? 0, 'SIGKILL');
    const killedAt = Date.now();
    await h.waitFor('temporal restarted', () => h.pids('temporal').length === 2, 30_000);
    expect(h.lines(/^temporal exited \(signal SIGKILL\) after running [\d.]+ m?s; restarting it in 100 ms/)).toHaveLength(1);
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    expect(await isTemporalUp(cli, address)).toBe(true);
    expect((await client.workflow.getHandle(handle.workflowId).describe()).status.name).toBe('RUNNING');

    await h.supervisor.stop();
    for (const each of h.pids('temporal')) expect(alive(each)).toBe(false);
    expect(await isTemporalUp(cli, address, 1000)).toBe(false);
  }, 60_000);
});
