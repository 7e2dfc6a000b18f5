/**
 * `npm run bench:ceiling`: in one run, on one Temporal dev server of its own (port 7421, headless,
 * a throw-away SQLite file, the project's flags) and a scratch database on the local Postgres:
 *   (a) no-op workflows/s and (b) workflows/s of the booking's shape with no-op steps, client and
 *       worker in this process: Temporal's ceiling here;
 *   (c) real bookings/s over HTTP in the seed-002 shape against the real API, worker and projection,
 *       with each process's CPU per confirmed booking, ending with the load script's invariant check;
 *   (d) a one-transaction Koa booking endpoint: what the monolith would do.
 * Each figure follows an unmeasured warm-up (the first run after a start is always slower).
 * Prints figures; asserts only the invariants. See docs/performance.md.
 */
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { connectStoresAsOwner, storeSqls } from '../db/client.js';
import { dropScratchDatabase } from '../db/migrate.js';
import { loadConfig } from '../lib/config.js';
import { prepareDatabases } from '../scripts/prepare-databases.js';
import { findTemporalCli, isTemporalUp, startDevServer } from '../scripts/temporal-cli.js';
import { clockTicks, groupCpuMs, machineCpu, snapshot, type CpuSnapshot, type Group } from './ceiling/cpu.js';
import { measureDirect } from './ceiling/direct-booking.js';
import { startBenchStack } from './ceiling/stack.js';
import { benchScaffold, fixed } from './bench-scaffold.js';
import { measureShapes } from './ceiling/temporal-shapes.js';
import { resolveOptions } from './options.js';
import { exitCodeOf } from './result.js';
import { runLoad } from './run.js';

const TEMPORAL_PORT = 7421;
const API_PORT = 7431;
const CONCURRENCY = 80;
const WARMUP_MS = 3_000;
const MEASURE_MS = 10_000;
/** Nothing here may run longer: the whole bench is normally ~3 minutes. */
const WATCHDOG_MS = 15 * 60_000;

const log = (line: string) => console.error(`[bench:ceiling] ${line}`);
const { folder, databaseUrl, cleanups, cleanUp } = benchScaffold('ceiling', WATCHDOG_MS, log);

async function main(): Promise<number> {
  const cli = findTemporalCli(log);
  const address = `127.0.0.1:${TEMPORAL_PORT}`;
  // startDevServer would reuse a server already there: this bench needs a fresh one of its own.
  if (await isTemporalUp(cli, address)) throw new Error(`a Temporal server already answers on ${address}; stop it first`);
  const server = await startDevServer({ cli, port: TEMPORAL_PORT, dbFile: path.join(folder, 'temporal.sqlite'), logFile: path.join(folder, 'temporal.log') });
  cleanups.push(() => server.stop());
  if (server.pid === undefined) throw new Error('the Temporal dev server has no pid');
  const serverPid = server.pid;
  log(`Temporal dev server on ${address} (pid ${serverPid}); scratch database ${new URL(databaseUrl).pathname.slice(1)}; temp folder ${folder}`);

  await dropScratchDatabase(databaseUrl, 'bench'); // a leftover of an interrupted run
  cleanups.push(() => dropScratchDatabase(databaseUrl, 'bench'));
  const env = { NODE_ENV: 'development', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: address };
  const cfg = loadConfig(env);
  await prepareDatabases(cfg, log);

  const loop = { concurrency: CONCURRENCY, warmupMs: WARMUP_MS, measureMs: MEASURE_MS };
  const shapes = await measureShapes(address, serverPid, loop, log);

  const stack = await startBenchStack(env, API_PORT, path.join(folder, 'stack.log'));
  const stopStack = stack.stop;
  cleanups.push(stopStack);
  const stores = connectStoresAsOwner({ cfg, max: 2 });
  cleanups.push(() => stores.close());
  const connection = await Connection.connect({ address });
  cleanups.push(() => connection.close());
  const deps = { stores: storeSqls(stores), temporal: new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE }), log };
  const seed002 = (durationMs: number) => resolveOptions({ scenario: 'seed-002', baseUrl: stack.baseUrl, databaseUrl, temporalAddress: address, durationMs, progress: 'off' });
  log(`(c) seed-002 over HTTP: warm-up ${WARMUP_MS / 1000} s (unmeasured), then ${MEASURE_MS / 1000} s measured, ${CONCURRENCY} connections`);
  const warm = await runLoad(seed002(WARMUP_MS), deps);
  if (exitCodeOf(warm) !== 0) log('the warm-up run failed its invariant check (see below for the measured run)');
  let before: CpuSnapshot | undefined;
  let after: CpuSnapshot | undefined;
  const result = await runLoad(seed002(MEASURE_MS), { ...deps, onLoadStart: () => (before = snapshot()), onLoadEnd: () => (after = snapshot()) });
  if (!before || !after) throw new Error('the measured run did not report its start and end');
  const window = { before, after };
  await stopStack();
  const direct = await measureDirect(databaseUrl, loop, log);

  const confirmed = result.bookings.confirmed;
  const perBooking = (group: Group) => (confirmed > 0 ? groupCpuMs(window.before, window.after, group) / confirmed : Number.NaN);
  const machine = machineCpu(window.before, window.after);
  const cRate = result.bookings.confirmedPerSecond;
  const shapeRate = shapes[1]?.perSecond ?? Number.NaN;
  const lines = [
    '',
    `bench:ceiling — ${new Date().toISOString()}, ${os.cpus().length} cores, CLK_TCK ${clockTicks}, load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')} at the end`,
    `Every figure follows an unmeasured ${WARMUP_MS / 1000} s warm-up of the same shape; windows of ${MEASURE_MS / 1000} s, ${CONCURRENCY} concurrent.`,
    ...shapes.map((s) => `${s.name}: ${fixed(s.perSecond)}/s (${s.ok} in ${fixed(s.elapsedMs / 1000)} s, ${s.failed} failed${s.firstError ? `: ${s.firstError}` : ''}; p50 ${fixed(s.p50Ms, 0)} ms, p99 ${fixed(s.p99Ms, 0)} ms); CPU a workflow: machine ${fixed(s.machineMsPerWorkflow)} ms, Temporal server ${fixed(s.serverMsPerWorkflow)} ms, this process ${fixed(s.benchProcessMsPerWorkflow)} ms`),
    `(c) seed-002 over HTTP (real API, worker, projection; BENCH_STACK=${process.env.BENCH_STACK ?? 'tsx'}): ${fixed(cRate)} confirmed/s (${confirmed} confirmed of ${result.bookings.requests} in ${fixed(result.bookings.elapsedSeconds)} s; p50 ${fixed(result.bookings.confirmedLatency.p50Ms, 0)} ms, p99 ${fixed(result.bookings.confirmedLatency.p99Ms, 0)} ms); invariants ${exitCodeOf(result) === 0 ? 'hold' : 'FAILED'}`,
    `    CPU per confirmed booking: API ${fixed(perBooking({ tree: stack.pids.api }))} ms, worker ${fixed(perBooking({ tree: stack.pids.worker }))} ms, projection ${fixed(perBooking({ tree: stack.pids.projection }))} ms, Temporal server ${fixed(perBooking({ tree: serverPid }))} ms, Postgres ${fixed(perBooking({ comm: 'postgres' }))} ms (every postgres process on the machine, other sessions' included), load client ${fixed(perBooking({ only: process.pid }))} ms`,
    `    machine-wide: ${fixed(confirmed > 0 ? machine.busyMs / confirmed : Number.NaN)} ms CPU a booking, ${fixed(machine.utilisation * 100, 0)}% of all cores busy, iowait ${fixed(machine.iowaitMs / 1000)} s over the window`,
    `(d) direct one-transaction booking (Koa + Postgres, pool of 10): ${fixed(direct.perSecond)}/s (${direct.ok} in ${fixed(direct.elapsedMs / 1000)} s, ${direct.failed} failed${direct.firstError ? `: ${direct.firstError}` : ''}; p50 ${fixed(direct.p50Ms)} ms, p99 ${fixed(direct.p99Ms)} ms); CPU a booking: machine ${fixed(direct.machineMsPerBooking)} ms, Postgres ${fixed(direct.postgresMsPerBooking)} ms, this process (server and client) ${fixed(direct.benchProcessMsPerBooking)} ms`,
    `ratios: c/b ${fixed(cRate / shapeRate, 2)}, c/d ${fixed(cRate / direct.perSecond, 3)}`,
  ];
  console.log(lines.join('\n'));
  return exitCodeOf(result);
}

try {
  process.exitCode = await main();
} finally {
  await cleanUp();
}
