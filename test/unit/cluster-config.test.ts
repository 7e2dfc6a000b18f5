import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clusterLayout } from '../../scripts/cluster/layout.js';
import { CONFIG_ENV, readTemplate, writeClusterConfigs } from '../../scripts/cluster/temporal-config.js';

/**
 * `npm run stack:cluster`'s Temporal config, written from the server module's own template (found
 * in the Go module cache, as the stack finds it): the numbers the stack depends on are in it.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'boxoffice-cluster-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const written = writeClusterConfigs(dir, clusterLayout, { host: '127.0.0.1', port: 5432 }, readTemplate());

/** The parts of the server's config this test reads. */
interface ServerConfig {
  persistence: { numHistoryShards: number; defaultStore: string; visibilityStore: string; datastores: Record<string, { sql: Record<string, unknown> }> };
  services: Record<string, { rpc: { grpcPort: number; membershipPort: number; httpPort?: number; bindOnLocalHost: boolean } }>;
  global: { pprof?: unknown; metrics: { prometheus: { listenAddress: string } } };
  clusterMetadata: { clusterInformation: { active: { rpcAddress: string } } };
  dynamicConfigClient: { filepath: string };
}
const read = <T>(file: string) => parse(readFileSync(file, 'utf8')) as T;
const server = read<ServerConfig>(path.join(written.serverConfigDir, `${CONFIG_ENV}.yaml`));
const service = (name: string) => {
  const found = server.services[name];
  if (!found) throw new Error(`no ${name} service in the config`);
  return found.rpc;
};

describe('the cluster stack config', () => {
  it('is valid YAML with the layout’s history shards on the cluster’s own databases and role', () => {
    expect(server.persistence.numHistoryShards).toBe(clusterLayout.historyShards);
    expect(clusterLayout.historyShards).toBeGreaterThan(1);
    const stores = server.persistence.datastores;
    const main = stores[server.persistence.defaultStore]?.sql ?? {};
    const visibility = stores[server.persistence.visibilityStore]?.sql ?? {};
    expect([main.databaseName, visibility.databaseName]).toEqual([clusterLayout.databases.temporal, clusterLayout.databases.visibility]);
    for (const sql of [main, visibility]) {
      expect(sql).toMatchObject({ pluginName: 'postgres12', connectAddr: '127.0.0.1:5432', user: clusterLayout.temporalRole.user });
      expect(sql.user).not.toBe('postgres');
    }
  });

  it('gives every service its own gRPC and membership port, all distinct and in 7500-7599', () => {
    const ports: number[] = [];
    for (const name of ['frontend', 'history', 'matching', 'worker']) {
      const rpc = service(name);
      expect(rpc.bindOnLocalHost).toBe(true);
      ports.push(rpc.grpcPort, rpc.membershipPort);
    }
    ports.push(service('frontend').httpPort ?? 0, Number(String(server.global.metrics.prometheus.listenAddress).split(':').pop()));
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) expect(port >= 7500 && port <= 7599, `port ${port}`).toBe(true);
    expect(server.global.pprof).toBeUndefined();
    expect(server.clusterMetadata.clusterInformation.active.rpcAddress).toBe(`127.0.0.1:${clusterLayout.temporal.frontend.grpcPort}`);
    // Nothing of the template's stock ports is left to collide with a dev server or another copy.
    expect(readFileSync(path.join(written.serverConfigDir, `${CONFIG_ENV}.yaml`), 'utf8')).not.toMatch(/\b(7233|7234|7235|7239|6933|7936|8000)\b/);
  });

  it('reads a dynamic config that exists, and points the Web UI at the frontend', () => {
    const dynamic = read<Record<string, unknown>>(server.dynamicConfigClient.filepath);
    expect(dynamic['frontend.enableExecuteMultiOperation']).toEqual([{ value: true }]);
    const ui = read<Record<string, unknown>>(path.join(written.uiConfigDir, `${CONFIG_ENV}.yaml`));
    expect(ui).toMatchObject({ temporalGrpcAddress: `127.0.0.1:${clusterLayout.temporal.frontend.grpcPort}`, port: clusterLayout.uiPort, enableUi: true });
  });
});
