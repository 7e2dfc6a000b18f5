import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { config } from '../lib/config.js';
import { connectAsOwner } from '../db/client.js';
import { prepareDatabases } from './prepare-databases.js';
import { demoAccounts, seed } from './demo-data.js';
import { findTemporalCli } from './temporal-cli.js';
import { defaultRestartPolicy } from './restart-policy.js';
import { Supervisor } from './supervisor.js';
import { httpReady, nodeService, temporalService } from './supervised-processes.js';

/**
 * `npm start`: the whole stack on one machine. Temporal dev server (persistent SQLite under .data/),
 * Postgres migrations and demo data, then the API, the Temporal worker and the projection, each
 * its own process. A process that exits is restarted (scripts/supervisor.ts); Ctrl-C, or one
 * process crash-looping, stops everything this started.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const dataDir = path.join(root, '.data');
const cfg = config();
const say = (line: string) => console.log(`[start] ${line}`);

const temporalPort = Number(cfg.TEMPORAL_ADDRESS.split(':').pop() ?? 7233);
const uiPort = Number(new URL(cfg.TEMPORAL_UI_URL).port || 8233);

const supervisor = new Supervisor({
  policy: { ...defaultRestartPolicy, crashLoopExits: cfg.START_CRASH_LOOP_EXITS, crashLoopWindowMs: cfg.START_CRASH_LOOP_WINDOW_MS },
  say,
  onGiveUp: () => void shutdown(1),
});

function startProcess(name: string, script: string): Promise<void> {
  return supervisor.add(
    nodeService(name, {
      // No --enable-source-maps: measured, it cost the worker ~4-7 ms and the API ~1.5 ms of CPU a
      // booking (docs/performance.md, "--enable-source-maps"); most likely the workflow sandbox's
      // stack trace of every promise it creates, each then mapped. Stack traces name dist/*.js.
      args: [path.join(root, 'dist', script)],
      cwd: root,
      env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'development' },
    }),
  );
}

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return say('already stopping...');
  stopping = true;
  say('stopping (the API, the worker and the projection, then the Temporal server)...');
  await supervisor.stop();
  say('stopped.');
  process.exit(code);
}

// `on`, not `once`: a second Ctrl-C must not kill this process before the Temporal server (its own process group) is stopped.
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  const cli = findTemporalCli(say);
  say(`Temporal dev server on ${cfg.TEMPORAL_ADDRESS} (CLI ${cli})...`);
  await supervisor.add(
    temporalService({
      cli,
      port: temporalPort,
      uiPort,
      // One file per port, so two stacks side by side (other PORT and TEMPORAL_ADDRESS) never share one;
      // a restarted server opens the same file and its workflows carry on.
      dbFile: path.join(dataDir, 'temporal', `dev-${temporalPort}.sqlite`),
      logFile: path.join(dataDir, 'logs', `temporal-${temporalPort}.log`),
      namespace: cfg.TEMPORAL_NAMESPACE,
    }),
  );

  say('Postgres: migrating...');
  const databases = await prepareDatabases(cfg, say);
  say(`Postgres: ${databases.join(', ')} up to date`);
  const owner = connectAsOwner({ max: 1 });
  const seeded = await seed(owner.db).finally(() => owner.close());
  say(`demo data: ${seeded.users} users and ${seeded.events} events added (existing ones kept)`);

  await startProcess('worker', 'worker/main.js');
  await startProcess('projection', 'worker/projection.js');
  await startProcess('api', 'api/main.js');
  const api = `http://localhost:${cfg.PORT}`;
  await httpReady(`${api}/readyz`)();

  console.log(`
  Boxoffice is ready.

    API              ${api}/api/events
    Seat picker      ${api}/
    OpenAPI          ${api}/openapi.json
    Temporal Web UI  ${cfg.TEMPORAL_UI_URL}
    Terminal client  npm run client -- --demo --url ${api}

  Demo accounts:
${demoAccounts.map((account) => `    ${account.role.padEnd(10)} ${account.email} / ${account.password}`).join('\n')}

  A process that exits is restarted. Press Ctrl-C to stop everything.
`);
} catch (error) {
  console.error(`\n[start] ${error instanceof Error ? error.message : String(error)}\n`);
  await shutdown(1);
}
