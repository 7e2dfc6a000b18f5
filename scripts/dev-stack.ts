import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { config } from '../lib/config.js';
import { connectAsOwner } from '../db/client.js';
import { prepareDatabases } from './prepare-databases.js';
import { demoAccounts, seed } from './demo-data.js';
import { findTemporalCli, startDevServer, type DevServer } from './temporal-cli.js';
import { pollUntil } from '../lib/poll.js';

/**
 * `npm start`: the whole stack on one machine. Temporal dev server (persistent SQLite under .data/),
 * Postgres migrations and demo data, then the API, the Temporal worker and the projection, each
 * its own process. Ctrl-C stops everything this started.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const dataDir = path.join(root, '.data');
const cfg = config();
const say = (line: string) => console.log(`[start] ${line}`);

const temporalPort = Number(cfg.TEMPORAL_ADDRESS.split(':').pop() ?? 7233);
const uiPort = Number(new URL(cfg.TEMPORAL_UI_URL).port || 8233);

const children: { name: string; child: ChildProcess }[] = [];
let temporal: DevServer | undefined;
let stopping = false;

function startProcess(name: string, script: string): void {
  const child = spawn(process.execPath, ['--enable-source-maps', path.join(root, 'dist', script)], {
    cwd: root,
    env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'development' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[${name}] `;
  const relay = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream) => {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) out.write(prefix + line + '\n');
    });
  };
  if (child.stdout) relay(child.stdout, process.stdout);
  if (child.stderr) relay(child.stderr, process.stderr);
  child.once('exit', (code, signal) => {
    if (stopping) return;
    say(`${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping everything.`);
    void shutdown(1);
  });
  children.push({ name, child });
}

async function waitForReady(url: string, timeoutMs: number): Promise<void> {
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
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping...');
  await Promise.all(
    children.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          child.once('exit', () => {
            clearTimeout(killer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  await temporal?.stop();
  say('stopped.');
  process.exit(code);
}

process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));

try {
  const cli = findTemporalCli(say);
  say(`Temporal dev server on ${cfg.TEMPORAL_ADDRESS} (CLI ${cli})...`);
  temporal = await startDevServer({
    cli,
    port: temporalPort,
    uiPort,
    // One file per port, so two stacks side by side (other PORT and TEMPORAL_ADDRESS) never share one.
    dbFile: path.join(dataDir, 'temporal', `dev-${temporalPort}.sqlite`),
    logFile: path.join(dataDir, 'logs', `temporal-${temporalPort}.log`),
    namespace: cfg.TEMPORAL_NAMESPACE,
  });
  if (!temporal.startedHere) say('a Temporal server already answers there: reusing it');

  say('Postgres: migrating...');
  const databases = await prepareDatabases(cfg, say);
  say(`Postgres: ${databases.join(', ')} up to date`);
  const owner = connectAsOwner({ max: 1 });
  const seeded = await seed(owner.db).finally(() => owner.close());
  say(`demo data: ${seeded.users} users and ${seeded.events} events added (existing ones kept)`);

  startProcess('worker', 'worker/main.js');
  startProcess('projection', 'worker/projection.js');
  startProcess('api', 'api/main.js');
  const api = `http://localhost:${cfg.PORT}`;
  await waitForReady(`${api}/readyz`, 60_000);

  console.log(`
  Boxoffice is ready.

    API              ${api}/api/events
    Seat picker      ${api}/
    OpenAPI          ${api}/openapi.json
    Temporal Web UI  ${cfg.TEMPORAL_UI_URL}

  Demo accounts:
${demoAccounts.map((account) => `    ${account.role.padEnd(10)} ${account.email} / ${account.password}`).join('\n')}

  Press Ctrl-C to stop everything.
`);
} catch (error) {
  console.error(`\n[start] ${error instanceof Error ? error.message : String(error)}\n`);
  await shutdown(1);
}
