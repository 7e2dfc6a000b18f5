import { setTimeout as delay } from 'node:timers/promises';
import { describeExit, formatDuration, noExits, recordExit, type ExitHistory, type ExitReason, type RestartPolicy } from './restart-policy.js';

/**
 * Keeps `npm start`'s processes running: one that exits is started again after a back-off
 * (scripts/restart-policy.ts), saying which, why and when; a crash loop stops everything, and so
 * does stop() (Ctrl-C), after which nothing is restarted.
 */
export interface Running {
  pid?: number;
  /** Settles when the process ends, however it ends. */
  exited: Promise<ExitReason>;
  /** Ends the process (politely, then by force) and settles once it has. */
  stop(): Promise<void>;
}

export interface Service {
  name: string;
  /** Services are stopped by ascending phase, those of one phase together (the Temporal server last). */
  stopPhase?: number;
  /**
   * Starts the process; undefined when an instance not started here already runs, which is left
   * alone (not stopped, not restarted).
   */
  start(): Promise<Running | undefined>;
}

export interface SupervisorOptions {
  policy: RestartPolicy;
  say(line: string): void;
  /** A crash loop: the caller stops everything (stop()) and exits. */
  onGiveUp(service: string): void;
}

interface Supervised {
  service: Service;
  current?: Running;
  starting?: Promise<void>;
  loop?: Promise<void>;
}

export class Supervisor {
  private readonly supervised: Supervised[] = [];
  private readonly stopSignal = new AbortController();
  private stopped?: Promise<void>;

  constructor(private readonly options: SupervisorOptions) {}

  get stopping(): boolean {
    return this.stopped !== undefined;
  }

  /** Starts the service for the first time (a failure here is thrown: nothing has run yet) and keeps it running. */
  async add(service: Service): Promise<void> {
    if (this.stopping) return;
    const entry: Supervised = { service };
    this.supervised.push(entry);
    const starting = service.start().then((running) => (entry.current = running));
    // A stop() that comes while this first start is under way waits for it, then stops what it started.
    entry.starting = starting.then(
      () => undefined,
      () => undefined,
    );
    const running = await starting;
    if (this.stopping) return;
    if (!running) {
      this.options.say(`${service.name}: one not started here is running already; reusing it, but nothing restarts it if it stops.`);
      return;
    }
    this.options.say(`${service.name} started${running.pid === undefined ? '' : ` (pid ${running.pid})`}.`);
    entry.loop = this.superviseFrom(entry, running, Date.now());
  }

  /** Stops every service, phase by phase; nothing is restarted from here on. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= this.stopAll();
    return this.stopped;
  }

  private async stopAll(): Promise<void> {
    this.stopSignal.abort();
    const phases = [...new Set(this.supervised.map(({ service }) => service.stopPhase ?? 0))].sort((a, b) => a - b);
    for (const phase of phases) {
      const members = this.supervised.filter(({ service }) => (service.stopPhase ?? 0) === phase);
      // A restart under way when the stop came finishes starting and is stopped by its loop.
      await Promise.all(
        members.map(async (entry) => {
          await entry.starting;
          await Promise.all([entry.current?.stop(), entry.loop]);
        }),
      );
    }
  }

  private async superviseFrom(entry: Supervised, first: Running, firstStartedAt: number): Promise<void> {
    const { name } = entry.service;
    const { policy, say } = this.options;
    let running = first;
    let startedAt = firstStartedAt;
    let history: ExitHistory = noExits;
    for (;;) {
      const exit = await running.exited;
      if (this.stopping) return;
      const exitedAt = Date.now();
      const recorded = recordExit(history, { startedAt, exitedAt }, policy);
      history = recorded.history;
      const { decision } = recorded;
      if (decision.action === 'give-up') {
        say(`${name} exited (${describeExit(exit)}) ${decision.exits} times within ${formatDuration(decision.windowMs)}: a crash loop; stopping everything.`);
        this.options.onGiveUp(name);
        return;
      }
      const at = new Date(exitedAt + decision.delayMs).toLocaleTimeString('en-GB');
      say(`${name} exited (${describeExit(exit)}) after running ${formatDuration(exitedAt - startedAt)}; restarting it in ${formatDuration(decision.delayMs)} (at ${at}).`);
      try {
        await delay(decision.delayMs, undefined, { signal: this.stopSignal.signal });
      } catch {
        return; // stopping
      }
      startedAt = Date.now();
      const next = await this.restart(entry);
      if (next === 'stopping') return;
      if (next === 'not ours') {
        say(`${name}: one not started here answers now; leaving it alone, no longer supervised.`);
        return;
      }
      running = next;
    }
  }

  private async restart(entry: Supervised): Promise<Running | 'stopping' | 'not ours'> {
    const { name } = entry.service;
    let running: Running | undefined;
    try {
      running = await entry.service.start();
    } catch (error) {
      // Counted like an exit: a process that cannot start backs off and, in the end, gives up.
      const reason = error instanceof Error ? error.message : String(error);
      running = { exited: Promise.resolve({ code: null, signal: null, error: reason }), stop: async () => {} };
      entry.current = running;
      return running;
    }
    if (!running) return 'not ours';
    entry.current = running;
    if (this.stopping) {
      await running.stop();
      return 'stopping';
    }
    this.options.say(`${name} restarted${running.pid === undefined ? '' : ` (pid ${running.pid})`}.`);
    return running;
  }
}
