import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client } from '@temporalio/client';
import { Runtime, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { createApp } from '../../api/app.js';
import type { Route } from '../../api/route.js';
import { ReservationClient, temporalConnection } from '../../api/reservation-client.js';
import { Tokens } from '../../api/auth.js';
import { attachLiveFeed, type LiveFeed } from '../../api/live/live-feed.js';
import { createMetrics } from '../../api/metrics.js';
import { createPaymentVault } from '../../api/payment-vault.js';
import { connectServiceToStores, connectStoresAsOwner, storeSqls, type DatabaseHandle, type QueryObserver, type StoreHandles } from '../../db/client.js';
import { checkInvariants, type InvariantOptions, type InvariantStores } from '../../db/invariants.js';
import { loadConfig, type Config } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
import { createActivities, type ActivityResources } from '../../worker/activities.js';
import { createReservationWorker } from '../../worker/create-worker.js';
import { createProjector } from '../../worker/projector.js';
import { HttpClient } from './http.js';
import type { PaymentGateway } from '../../activities/payment-gateway.js';

let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: (message) => console.error(message) } });
}

export interface StackOptions {
  env?: Record<string, string>;
  /** Replace some activities, to drive failure paths. */
  activityOverrides?: (real: ActivityResources['activities']) => Partial<ActivityResources['activities']>;
  gateway?: PaymentGateway;
  /** Start no worker: the test runs its own (crash tests). */
  withoutWorker?: boolean;
  /** Start no projection loop: the test runs its own (crash tests). */
  withoutProjection?: boolean;
  /** Sees every SQL statement the API sends (to count statements per request). */
  onApiQuery?: QueryObserver;
  /** How often the projection sweeps without a NOTIFY (default 100 ms). */
  projectionSweepMs?: number;
}

export interface Stack {
  cfg: Config;
  /** Every route the API serves, with its request schemas (the hostile-input suite's oracle). */
  routes: readonly Route[];
  http: HttpClient;
  baseUrl: string;
  /** The live seat map: ws://127.0.0.1:<port>/ws. */
  wsUrl: string;
  liveFeed: LiveFeed;
  /** Owner connection to the shared database (identity, catalogue, read model). */
  owner: DatabaseHandle;
  /** Owner connections to every store: booking, payments and ticketing live in databases of their own. */
  stores: StoreHandles;
  storeSqls: InvariantStores;
  temporal: Client;
  startWorker(overrides?: StackOptions['activityOverrides']): Promise<{ worker: Worker; stop(): Promise<void> }>;
  /** Waits until the projection has applied everything committed so far. */
  projectionCaughtUp(): Promise<void>;
  invariants(options?: InvariantOptions): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * The real system in this test process: API on a free port, a Temporal worker with the real
 * activities on a task queue of its own, the projection, all on the test database and the test
 * Temporal server started by the global setup.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  quietRuntime();
  const cfg = loadConfig({ ...process.env, TASK_QUEUE: `test-${randomUUID()}`, PORT: '0', ...options.env });
  const logger = createLogger('test');
  const stores = connectStoresAsOwner({ max: 2, cfg });
  const owner = stores.shared;
  // Small pools: two test files run at once, and Postgres allows 100 connections in all.
  const apiDb = connectServiceToStores('api', ['shared', 'booking', 'ticketing', 'payments'], { max: 4, cfg, ...(options.onApiQuery ? { onQuery: options.onApiQuery } : {}) });
  const projectionDb = connectServiceToStores('projection', ['shared', 'booking'], { max: 2, cfg });
  // The API's own connection (lazy, quick to reconnect), so fault tests see what production does.
  const connection = temporalConnection(cfg);
  const temporal = new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE });

  const workers: { stop(): Promise<void> }[] = [];
  async function startWorker(overrides = options.activityOverrides) {
    const resources = createActivities(cfg, { poolSize: 3, ...(options.gateway ? { gateway: options.gateway } : {}) });
    const activities = { ...resources.activities, ...overrides?.(resources.activities) };
    const { worker, connection: workerConnection } = await createReservationWorker(cfg, activities, {
      workflowBundle: { codePath: inject('workflowBundlePath') },
      workflowsPath: undefined,
    });
    const running = worker.run();
    let stopped: Promise<void> | undefined;
    const handle = {
      worker,
      // Once: stack.stop() stops every worker again, and a native connection closes only once.
      stop() {
        stopped ??= (async () => {
          if (worker.getState() === 'RUNNING') worker.shutdown();
          await running.catch(() => {});
          await resources.close();
          await workerConnection.close();
        })();
        return stopped;
      },
    };
    workers.push(handle);
    return handle;
  }
  if (!options.withoutWorker) await startWorker();

  const projector = createProjector({ source: projectionDb.of('booking').sql, target: projectionDb.of('shared').sql });
  const projection = options.withoutProjection ? undefined : projector.start({ sweepMs: options.projectionSweepMs ?? 100, onError: (error) => logger.error({ err: error }, 'projection failed') });

  const tokens = new Tokens(cfg.JWT_SECRET, cfg.JWT_TTL_SECONDS);
  const { app, routes, events } = createApp({ config: cfg, db: apiDb.of('shared').db, stores: { booking: apiDb.of('booking').db, ticketing: apiDb.of('ticketing').db }, paymentVault: createPaymentVault(apiDb.of('payments').db), workflows: new ReservationClient(temporal, cfg), tokens, metrics: createMetrics(), logger });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const liveFeed = await attachLiveFeed(server, { sql: apiDb.of('shared').sql, tokens, logger, config: cfg, onEventChanged: (id) => events.forget(id) });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  return {
    cfg,
    routes,
    baseUrl,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    liveFeed,
    http: new HttpClient(baseUrl),
    owner,
    stores,
    storeSqls: storeSqls(stores),
    temporal,
    startWorker,
    async projectionCaughtUp() {
      await projector.drain();
    },
    async invariants(invariantOptions) {
      return (await checkInvariants(storeSqls(stores), invariantOptions)).map((violation) => `${violation.rule}: ${violation.detail}`);
    },
    async stop() {
      await liveFeed.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await projection?.stop();
      await Promise.all(workers.map((worker) => worker.stop()));
      await connection.close();
      await Promise.all([stores.close(), apiDb.close(), projectionDb.close()]);
    },
  };
}
