import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectAsOwner } from '../db/client.js';
import { config, loadConfig } from '../lib/config.js';
import { findClusterBinaries, TEMPORAL_SERVER_VERSION, TEMPORAL_UI_VERSION } from './cluster/binaries.js';
import { clusterLayout as layout, frontendAddress } from './cluster/layout.js';
import { startRoundRobinProxy, type RoundRobinProxy } from './cluster/round-robin-proxy.js';
import { CONFIG_ENV, writeClusterConfigs } from './cluster/temporal-config.js';
import { prepareTemporalDatabases } from './cluster/temporal-databases.js';
import { binaryService, ensureNamespace, temporalReady } from './cluster/temporal-services.js';
import { demoAccounts, seed } from './demo-data.js';
import { prepareDatabases } from './prepare-databases.js';
import { defaultRestartPolicy } from './restart-policy.js';
import { httpReady, nodeService } from './supervised-processes.js';
import { Supervisor } from './supervisor.js';
import { findTemporalCli } from './temporal-cli.js';

/**
 * `npm run stack:cluster`: the production topology on this machine, without Docker. The full
 * Temporal server on Postgres (several history shards, its own databases and role) and its Web UI,
 * then 2 API processes behind one round-robin address, 2 workers and 2 projections, on a Boxoffice
 * database of its own. Supervised like `npm start` (scripts/supervisor.ts): a process that exits is
 * restarted; Ctrl-C stops everything, the Node processes first, the Temporal server and UI last.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = path.join(root, '.data', 'cluster');
const say = (line: string) => console.log(`[cluster] ${line}`);

// The user's Postgres server (DATABASE_URL), with databases of the cluster's own on it. Set in this
// process's environment before anything reads it, so that config() here and in every child agree.
const databaseUrl = new URL(loadConfig().DATABASE_URL);
databaseUrl.pathname = `/${layout.databases.app}`;
const ownerUrl = databaseUrl.toString();
const temporalAddress = frontendAddress();
const uiUrl = `http://localhost:${layout.uiPort}`;
const frontUrl = `http://localhost:${layout.frontPort}`;
Object.assign(process.env, { NODE_ENV: process.env.NODE_ENV ?? 'development', DATABASE_URL: ownerUrl, TEMPORAL_ADDRESS: temporalAddress, TEMPORAL_UI_URL: uiUrl });
// Every store in the cluster's one database, whatever *_DATABASE_URL the shell has for `npm start`.
for (const name of ['API', 'BOOKING', 'PAYMENTS', 'TICKETING', 'PROJECTION', 'COORDINATOR']) delete process.env[`${name}_DATABASE_URL`];
const cfg = config();

const supervisor = new Supervisor({
  policy: { ...defaultRestartPolicy, crashLoopExits: cfg.START_CRASH_LOOP_EXITS, crashLoopWindowMs: cfg.START_CRASH_LOOP_WINDOW_MS },
  say,
  onGiveUp: () => void shutdown(1),
});
let proxy: RoundRobinProxy | undefined;

function startNode(name: string, script: string, extra: NodeJS.ProcessEnv = {}): Promise<void> {
  return supervisor.add(nodeService(name, { args: [path.join(root, 'dist', script)], cwd: root, env: { ...process.env, ...extra } }));
}

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return say('already stopping...');
  stopping = true;
  say('stopping (the proxy, the APIs, workers and projections, then the Temporal server and the UI)...');
  if (proxy) {
    const sent = Object.entries(proxy.counts()).map(([target, count]) => `${count} to ${target}`);
    say(`the proxy sent ${sent.join(', ') || 'nothing'} (requests and WebSocket upgrades)`);
    await proxy.close();
  }
  await supervisor.stop();
  say('stopped.');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  const binaries = findClusterBinaries(say);
  const cli = findTemporalCli(say);

  say(`Postgres: Temporal's databases ${layout.databases.temporal} and ${layout.databases.visibility} (role ${layout.temporalRole.user})...`);
  await prepareTemporalDatabases({ sqlTool: binaries.sql, ownerUrl, layout, say });
  const configs = writeClusterConfigs(path.join(dataDir, 'config'), layout, { host: databaseUrl.hostname, port: Number(databaseUrl.port || 5432) });

  say(`Temporal server ${TEMPORAL_SERVER_VERSION} on ${temporalAddress} (${layout.historyShards} history shards; log .data/cluster/logs/temporal.log)...`);
  await supervisor.add(
    binaryService({
      name: 'temporal',
      command: binaries.server,
      args: ['--root', '/', '--config', configs.serverConfigDir, '--env', CONFIG_ENV, '--allow-no-auth', 'start'],
      logFile: path.join(dataDir, 'logs', 'temporal.log'),
      stopPhase: 2,
      ready: temporalReady(cli, temporalAddress),
    }),
  );
  await ensureNamespace(cli, temporalAddress, cfg.TEMPORAL_NAMESPACE, say);
  await supervisor.add(
    binaryService({
      name: 'temporal-ui',
      command: binaries.ui,
      args: ['--root', '/', '--config', configs.uiConfigDir, '--env', CONFIG_ENV, 'start'],
      logFile: path.join(dataDir, 'logs', 'temporal-ui.log'),
      stopPhase: 1,
      ready: httpReady(uiUrl),
    }),
  );

  say(`Postgres: ${layout.databases.app} migrating...`);
  await prepareDatabases(cfg, say);
  const owner = connectAsOwner({ max: 1 });
  const seeded = await seed(owner.db).finally(() => owner.close());
  say(`demo data: ${seeded.users} users and ${seeded.events} events added (existing ones kept)`);

  for (let i = 1; i <= layout.workers; i++) await startNode(`worker-${i}`, 'worker/main.js');
  for (let i = 1; i <= layout.projections; i++) await startNode(`projection-${i}`, 'worker/projection.js');
  for (const [i, port] of layout.apiPorts.entries()) await startNode(`api-${i + 1}`, 'api/main.js', { PORT: String(port) });
  for (const port of layout.apiPorts) await httpReady(`http://127.0.0.1:${port}/readyz`)();
  proxy = await startRoundRobinProxy({ host: '0.0.0.0', port: layout.frontPort, targets: layout.apiPorts.map((port) => ({ host: '127.0.0.1', port })) });
  await httpReady(`${frontUrl}/readyz`)();

  console.log(`
  Boxoffice (cluster topology) is ready.

    API              ${frontUrl}/api/events   (round-robin over ${layout.apiPorts.map((port) => `:${port}`).join(' and ')})
    Seat picker      ${frontUrl}/
    Temporal         ${temporalAddress} (server ${TEMPORAL_SERVER_VERSION}, Postgres, ${layout.historyShards} history shards)
    Temporal Web UI  ${uiUrl} (ui-server ${TEMPORAL_UI_VERSION})
    Processes        ${layout.apiPorts.length} APIs, ${layout.workers} workers, ${layout.projections} projections
    Databases        ${layout.databases.app}, ${layout.databases.temporal}, ${layout.databases.visibility}

  Demo accounts:
${demoAccounts.map((account) => `    ${account.role.padEnd(10)} ${account.email} / ${account.password}`).join('\n')}

  A process that exits is restarted. Press Ctrl-C to stop everything.
`);
} catch (error) {
  console.error(`\n[cluster] ${error instanceof Error ? error.message : String(error)}\n`);
  await shutdown(1);
}
