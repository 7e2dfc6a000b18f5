/**
 * When `npm start` restarts a process that exited, and when it gives up. Pure: the supervisor
 * (scripts/supervisor.ts) feeds it exit times and does what it decides.
 */
export interface RestartPolicy {
  /** Wait before the first restart after a good run. */
  initialDelayMs: number;
  /** The wait doubles with each quick exit in a row, up to this. */
  maxDelayMs: number;
  /** A run at least this long was a good one: the next wait is the initial one again. */
  stableAfterMs: number;
  /** This many exits within crashLoopWindowMs is a crash loop, which stops everything; 0 never does. */
  crashLoopExits: number;
  crashLoopWindowMs: number;
}

/**
 * 0.5 s doubling to 10 s: a process killed once is back at once, one that cannot start does not
 * spin. 10 exits in 2 minutes: a process that cannot start at all gives up after about a minute
 * (0.5 + 1 + 2 + 4 + 8 + 10 + ... s), while a dependency's outage shorter than that is ridden out.
 */
export const defaultRestartPolicy: RestartPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  stableAfterMs: 10_000,
  crashLoopExits: 10,
  crashLoopWindowMs: 120_000,
};

export interface ExitHistory {
  /** Exit times still inside the crash-loop window, oldest first. */
  recentExits: readonly number[];
  /** Runs in a row, up to and including the last, that ended before stableAfterMs. */
  quickExits: number;
}

export const noExits: ExitHistory = { recentExits: [], quickExits: 0 };

export type RestartDecision =
  | { action: 'restart'; delayMs: number }
  | { action: 'give-up'; exits: number; windowMs: number };

/** The wait before restarting after `quickExits` quick exits in a row (0 after a good run). */
export function restartDelayMs(quickExits: number, policy: RestartPolicy): number {
  const doublings = Math.max(0, quickExits - 1);
  // Capped before it is computed, so a long-crashing process never overflows to Infinity.
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(doublings, 30));
}

/** Records one exit of a run that started at `startedAt`, and says whether to restart and when. */
export function recordExit(
  history: ExitHistory,
  run: { startedAt: number; exitedAt: number },
  policy: RestartPolicy,
): { history: ExitHistory; decision: RestartDecision } {
  const quick = run.exitedAt - run.startedAt < policy.stableAfterMs;
  const quickExits = quick ? history.quickExits + 1 : 0;
  const windowStart = run.exitedAt - policy.crashLoopWindowMs;
  const recentExits = [...history.recentExits.filter((at) => at > windowStart), run.exitedAt];
  const next = { recentExits, quickExits };
  if (policy.crashLoopExits > 0 && recentExits.length >= policy.crashLoopExits) {
    return { history: next, decision: { action: 'give-up', exits: recentExits.length, windowMs: policy.crashLoopWindowMs } };
  }
  return { history: next, decision: { action: 'restart', delayMs: restartDelayMs(quickExits, policy) } };
}

export interface ExitReason {
  code: number | null;
  signal: string | null;
  /** Set when the process could not be started at all. */
  error?: string;
}

/** "code 1", "signal SIGKILL", "failed to start: ..." */
export function describeExit(exit: ExitReason): string {
  if (exit.error !== undefined) return `failed to start: ${exit.error}`;
  if (exit.signal) return `signal ${exit.signal}`;
  return `code ${exit.code ?? 'unknown'}`;
}

/** "450 ms", "2.5 s", "2 min" */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Number((ms / 1000).toFixed(1))} s`;
  return `${Number((ms / 60_000).toFixed(1))} min`;
}
