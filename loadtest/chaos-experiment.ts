/**
 * `npm run experiment:chaos [-- --faults a,b --out-dir docs/experiments]`: under load, one fault at
 * a time — Postgres restart, Temporal dev server kill -9, the worker killed again and again, the
 * projection killed, one of two APIs killed, the payment gateway down — on a stack of its own
 * (chaos-stack.ts). For each: requests failed, time until ready again, longest seat blocked,
 * bookings lost, and the invariant check after settling. Results go into docs/experiments/faults.md
 * (its own section) and chaos.json.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { pollUntil, PollTimeoutError } from '../lib/poll.js';
import { bookingCounts, longestSeatBlockedMs, strandedReservations, type FaultOutcome } from './chaos-measure.js';
import { faultLengthMs, faultNames, faultSummaries, injectFault, type FaultName, type FaultSettings } from './chaos-faults.js';
import { chaosMarkdown, withChaosSection } from './chaos-report.js';
import { startChaosStack, type ChaosStack } from './chaos-stack.js';
import { durationFlag, OptionsError, settingsFromCommandLine, textFlag, wholeNumberFlag, type Flag } from './cli-flags.js';
import { resolveOptions } from './options.js';
import { runLoad } from './run.js';

interface Settings extends Omit<FaultSettings, 'gatewayDownFile'> {
  faults: string;
  outDir: string;
  connections: number;
  leadMs: number;
  tailMs: number;
  readyTimeoutMs: number;
  postgresPort: number;
  temporalPort: number;
  apiPort: number;
}

const flags: readonly Flag<Settings>[] = [
  {
    kind: 'value',
    name: 'faults',
    placeholder: 'A,B',
    description: `which faults, in order: ${faultNames.join(', ')}`,
    set: (into, text) => (into.faults = text),
    check: (settings) => settings.faults.split(',').find((name) => !(faultNames as readonly string[]).includes(name)) && `--faults: choose from ${faultNames.join(', ')}`,
  },
  wholeNumberFlag('connections', 'connections', { min: 1, max: 200 }, 'concurrent booking clients, spread over both APIs'),
  durationFlag('lead', 'leadMs', 'load before the fault'),
  durationFlag('tail', 'tailMs', 'load after the fault'),
  durationFlag('postgres-down', 'postgresDownMs', 'how long Postgres stays down'),
  durationFlag('temporal-down', 'temporalDownMs', 'how long the Temporal server stays dead'),
  wholeNumberFlag('worker-kills', 'workerKills', { min: 1, max: 1000 }, 'how many times the worker is killed'),
  durationFlag('worker-kill-interval', 'workerKillIntervalMs', 'between two worker kills'),
  durationFlag('gateway-down', 'gatewayDownMs', 'how long the payment gateway is down'),
  durationFlag('ready-timeout', 'readyTimeoutMs', 'the bound of "ready again"'),
  wholeNumberFlag('postgres-port', 'postgresPort', { min: 1024, max: 65535 }, 'the private Postgres cluster'),
  wholeNumberFlag('temporal-port', 'temporalPort', { min: 1024, max: 65535 }, "the experiment's Temporal dev server"),
  wholeNumberFlag('api-port', 'apiPort', { min: 1024, max: 65534 }, 'the first API (the second gets the next port)'),
  textFlag('out-dir', 'outDir', 'DIR', 'where faults.md and chaos.json go'),
];
const defaults: Settings = {
  faults: faultNames.join(','),
  outDir: 'docs/experiments',
  connections: 10,
  leadMs: 5000,
  tailMs: 10_000,
  postgresDownMs: 3000,
  temporalDownMs: 5000,
  workerKills: 100,
  workerKillIntervalMs: 2000,
  gatewayDownMs: 30_000,
  readyTimeoutMs: 60_000,
  postgresPort: 55450,
  temporalPort: 7396,
  apiPort: 3380,
};
const settings = settingsFromCommandLine(flags, defaults, 'Usage: npm run experiment:chaos -- [options]\n\nFaults under load, one at a time, on a stack of its own.');
const faults = settings.faults.split(',') as FaultName[];
const log = (line: string) => console.error(`[chaos] ${line}`);
const gatewayDownFile = path.join(os.tmpdir(), `boxoffice-chaos-gateway-down-${process.pid}`);
const faultSettings: FaultSettings = { ...settings, gatewayDownFile };

/** Polls every API's /readyz until all answer 200: the milliseconds it took, or -1 past the bound. */
async function timeUntilReady(stack: ChaosStack): Promise<number> {
  const start = performance.now();
  try {
    await pollUntil(async () => (await stack.allReady()) || undefined, { timeoutMs: settings.readyTimeoutMs, intervalMs: 100, what: 'every API to be ready again' });
    return Math.round(performance.now() - start);
  } catch (error) {
    if (error instanceof PollTimeoutError) return -1;
    throw error;
  }
}

async function runFault(stack: ChaosStack, fault: FaultName): Promise<FaultOutcome> {
  const faultMs = faultLengthMs(fault, faultSettings);
  const [baseUrl, ...alsoBaseUrls] = stack.baseUrls;
  const options = resolveOptions({
    baseUrl: baseUrl ?? '',
    alsoBaseUrls,
    databaseUrl: stack.cfg.DATABASE_URL,
    temporalAddress: stack.temporalAddress,
    connections: settings.connections,
    customers: settings.connections,
    durationMs: settings.leadMs + faultMs + settings.tailMs,
    seating: { type: 'reserved', rows: 20, seatsPerRow: 40 },
    cancelRate: 0.2,
    requestTimeoutMs: 15_000,
    pendingTimeoutMs: 30_000,
    settleTimeoutMs: 60_000,
    progress: 'lines',
  });
  const restartsBefore = stack.restarts();
  let loadStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => (loadStarted = resolve));
  let loadStart = 0;
  let injectedAtMs = 0;
  const faultTask = (async () => {
    await started;
    await delay(settings.leadMs);
    injectedAtMs = Math.round(performance.now() - loadStart);
    log(`${fault}: injecting (${faultSummaries[fault]})`);
    await injectFault(stack, fault, faultSettings, log);
    const readyAgainMs = await timeUntilReady(stack);
    log(`${fault}: every API ready ${readyAgainMs < 0 ? 'NOT within the bound' : `after ${readyAgainMs} ms`}`);
    return readyAgainMs;
  })();
  const result = await runLoad(options, {
    stores: stack.storeSqls,
    temporal: stack.temporal,
    progress: process.stderr,
    log: (line) => log(`${fault}: ${line}`),
    onLoadStart: () => {
      loadStart = performance.now();
      loadStarted();
    },
  });
  const readyAgainMs = await faultTask;
  const eventIds = result.events.map((event) => event.id);
  const counts = bookingCounts(result);
  const stranded = await strandedReservations(stack.storeSqls, eventIds);
  const after = stack.restarts();
  const restarts = Object.fromEntries(Object.entries(after).map(([name, n]) => [name, n - (restartsBefore[name] ?? 0)]).filter(([, n]) => n !== 0));
  const { unresolvedWithAnswer, ...reported } = counts;
  const outcome: FaultOutcome = {
    fault,
    summary: faultSummaries[fault],
    injectedAtMs,
    faultMs,
    ...reported,
    readyAgainMs,
    longestSeatBlockedMs: await longestSeatBlockedMs(stack.storeSqls, eventIds),
    lost: unresolvedWithAnswer + stranded,
    restarts,
    invariantsOk: result.verification.ok && result.settle.problems.length === 0,
    problems: [...result.settle.problems, ...result.verification.problems],
  };
  log(`${fault}: ${JSON.stringify(outcome)}`);
  return outcome;
}

const startedAt = new Date().toISOString();
const outcomes: FaultOutcome[] = [];
const apiPorts = [settings.apiPort, settings.apiPort + 1];
rmSync(gatewayDownFile, { force: true });
const stack = await startChaosStack({ postgres: settings.postgresPort, temporal: settings.temporalPort, apis: apiPorts }, { PAYMENT_GATEWAY_DOWN_FILE: gatewayDownFile }, log);
// Ctrl-C: the Temporal server runs in a process group of its own and Postgres as a daemon; stop them too.
process.once('SIGINT', () => {
  log('interrupted; stopping the stack');
  rmSync(gatewayDownFile, { force: true });
  void stack.stop().finally(() => process.exit(130));
});
try {
  for (const fault of faults) {
    outcomes.push(await runFault(stack, fault));
    // The next fault starts from a healthy stack.
    if ((await timeUntilReady(stack)) < 0) throw new OptionsError(`the stack did not become ready again after ${fault}; stopping`);
  }
} finally {
  rmSync(gatewayDownFile, { force: true });
  await stack.stop();
}

const argv = process.argv.slice(2);
const command = `npm run experiment:chaos${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
const load = `closed, ${settings.connections} connections over both APIs, 20x40 reserved seats, 20% cancellations, ${settings.leadMs / 1000} s before each fault and ${settings.tailMs / 1000} s after it`;
const section = chaosMarkdown(outcomes, { startedAt, command, load });
await mkdir(settings.outDir, { recursive: true });
const mdFile = path.join(settings.outDir, 'faults.md');
const existing = await readFile(mdFile, 'utf8').catch(() => '');
await writeFile(mdFile, withChaosSection(existing, section));
await writeFile(path.join(settings.outDir, 'chaos.json'), JSON.stringify({ startedAt, command, settings, outcomes }, null, 1));
console.log(section);
process.exitCode = outcomes.every((outcome) => outcome.invariantsOk && outcome.lost === 0) ? 0 : 1;
