import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { goModuleDir } from './binaries.js';
import type { ClusterLayout } from './layout.js';

/**
 * The Temporal server's config for the cluster stack, made from the module's own
 * `config/development-postgres12.yaml` (so every key the server expects is there, as its authors
 * wrote it) with our databases, role, shard count and ports put in.
 */
export const TEMPLATE = 'config/development-postgres12.yaml';
/** The server reads CONFIGDIR/<env>.yaml. */
export const CONFIG_ENV = 'cluster';

export interface PostgresLocation {
  host: string;
  port: number;
}

type Yaml = Record<string, unknown>;

function section(parent: Yaml, key: string): Yaml {
  const value = parent[key];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`the Temporal config template has no "${key}" section`);
  return value as Yaml;
}

export function readTemplate(): string {
  return readFileSync(path.join(goModuleDir(), TEMPLATE), 'utf8');
}

/** The template with the cluster's settings in; `dynamicConfigFile` is where serverDynamicConfig goes. */
export function serverConfig(template: string, layout: ClusterLayout, postgres: PostgresLocation, dynamicConfigFile: string): Yaml {
  const config = parse(template) as Yaml;
  config.log = { stdout: true, level: 'warn' };

  const persistence = section(config, 'persistence');
  persistence.numHistoryShards = layout.historyShards;
  const datastores = section(persistence, 'datastores');
  const store = (key: string, databaseName: string, maxConns: number) => {
    const sql = section(section(datastores, key), 'sql');
    Object.assign(sql, {
      databaseName,
      connectAddr: `${postgres.host}:${postgres.port}`,
      user: layout.temporalRole.user,
      password: layout.temporalRole.password,
      maxConns,
      maxIdleConns: maxConns,
    });
  };
  store(String(persistence.defaultStore), layout.databases.temporal, layout.maxConns.default);
  store(String(persistence.visibilityStore), layout.databases.visibility, layout.maxConns.visibility);

  const global = section(config, 'global');
  // pprof would listen on 7936 (the template's), outside our range and shared with anyone's copy of it.
  delete global.pprof;
  const prometheus = section(section(global, 'metrics'), 'prometheus');
  prometheus.listenAddress = `127.0.0.1:${layout.temporal.metricsPort}`;

  const services = section(config, 'services');
  for (const [name, ports] of Object.entries(layout.temporal)) {
    if (typeof ports === 'number') continue;
    const rpc = section(section(services, name), 'rpc');
    Object.assign(rpc, { ...ports, bindOnLocalHost: true });
  }

  const clusterInformation = section(section(config, 'clusterMetadata'), 'clusterInformation');
  section(clusterInformation, 'active').rpcAddress = `127.0.0.1:${layout.temporal.frontend.grpcPort}`;

  // The template archives to /tmp with the file store; nothing here archives.
  const archival = section(config, 'archival');
  const namespaceArchival = section(section(config, 'namespaceDefaults'), 'archival');
  for (const kind of ['history', 'visibility']) {
    // The server refuses a disabled archival that may be read, has a provider or a default URI.
    Object.assign(section(archival, kind), { state: 'disabled', enableRead: false });
    delete section(archival, kind).provider;
    namespaceArchival[kind] = { state: 'disabled' };
  }

  section(config, 'dynamicConfigClient').filepath = dynamicConfigFile;
  return config;
}

/**
 * Dynamic config: the server's defaults (a production server's: 4 task-queue partitions, the
 * search-attribute cache honoured), plus what Boxoffice relies on, stated rather than assumed.
 */
export const serverDynamicConfig: Yaml = {
  // Update-with-start (POST /api/reservations) is an ExecuteMultiOperation call.
  'frontend.enableExecuteMultiOperation': [{ value: true }],
  'frontend.enableUpdateWorkflowExecution': [{ value: true }],
};

/** The standalone Web UI's config (its `config/development.yaml`, reduced to what differs or matters). */
export function uiConfig(layout: ClusterLayout): Yaml {
  return {
    temporalGrpcAddress: `127.0.0.1:${layout.temporal.frontend.grpcPort}`,
    host: '127.0.0.1',
    port: layout.uiPort,
    enableUi: true,
    defaultNamespace: 'default',
    refreshInterval: '1m',
    notifyOnNewVersion: false,
    auth: { enabled: false },
    cors: { cookieInsecure: true, allowOrigins: [`http://localhost:${layout.uiPort}`, `http://127.0.0.1:${layout.uiPort}`] },
  };
}

export interface WrittenConfig {
  /** `server --root / --config <serverConfigDir> --env cluster start` */
  serverConfigDir: string;
  /** `server --root / --config <uiConfigDir> --env cluster start` (the UI's binary) */
  uiConfigDir: string;
}

/** Writes both configs under `dir` (rewritten at every start: the layout in the code is the truth). */
export function writeClusterConfigs(dir: string, layout: ClusterLayout, postgres: PostgresLocation, template: string = readTemplate()): WrittenConfig {
  const serverConfigDir = path.join(dir, 'temporal');
  const uiConfigDir = path.join(dir, 'ui');
  mkdirSync(serverConfigDir, { recursive: true });
  mkdirSync(uiConfigDir, { recursive: true });
  const dynamicConfigFile = path.join(serverConfigDir, 'dynamicconfig.yaml');
  const header = '# Written by `npm run stack:cluster` (scripts/cluster/temporal-config.ts) at every start; edit the code, not this file.\n';
  writeFileSync(path.join(serverConfigDir, `${CONFIG_ENV}.yaml`), header + stringify(serverConfig(template, layout, postgres, dynamicConfigFile)));
  writeFileSync(dynamicConfigFile, header + stringify(serverDynamicConfig));
  // The UI reads base.yaml, then <env>.yaml over it.
  writeFileSync(path.join(uiConfigDir, 'base.yaml'), header);
  writeFileSync(path.join(uiConfigDir, `${CONFIG_ENV}.yaml`), header + stringify(uiConfig(layout)));
  return { serverConfigDir, uiConfigDir };
}
