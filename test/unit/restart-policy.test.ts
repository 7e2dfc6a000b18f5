import { describe, expect, it } from 'vitest';
import { defaultRestartPolicy, describeExit, formatDuration, noExits, recordExit, restartDelayMs, type ExitHistory, type RestartPolicy } from '../../scripts/restart-policy.js';

const policy: RestartPolicy = { initialDelayMs: 500, maxDelayMs: 10_000, stableAfterMs: 10_000, crashLoopExits: 5, crashLoopWindowMs: 60_000 };

/** Runs that each last `ranMs`, back to back after each decision's wait; the decisions in order. */
function exits(count: number, ranMs: number, rules: RestartPolicy = policy) {
  let history: ExitHistory = noExits;
  let now = 0;
  const decisions = [];
  for (let i = 0; i < count; i++) {
    const startedAt = now;
    now += ranMs;
    const recorded = recordExit(history, { startedAt, exitedAt: now }, rules);
    history = recorded.history;
    decisions.push(recorded.decision);
    if (recorded.decision.action === 'restart') now += recorded.decision.delayMs;
  }
  return decisions;
}

describe('back-off', () => {
  it('waits 0.5 s after the first exit and doubles with each quick exit in a row, up to 10 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => restartDelayMs(n, policy))).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(restartDelayMs(1000, policy)).toBe(10_000);
  });

  it('starts again at 0.5 s after a run that lasted long enough', () => {
    const noLoop = { ...policy, crashLoopExits: 0 };
    expect(exits(6, 200, noLoop).map((d) => d.action === 'restart' && d.delayMs)).toEqual([500, 1000, 2000, 4000, 8000, 10_000]);
    expect(exits(6, 10_000, noLoop).map((d) => d.action === 'restart' && d.delayMs)).toEqual([500, 500, 500, 500, 500, 500]);

    let history: ExitHistory = noExits;
    history = recordExit(history, { startedAt: 0, exitedAt: 100 }, noLoop).history;
    history = recordExit(history, { startedAt: 700, exitedAt: 800 }, noLoop).history;
    expect(history.quickExits).toBe(2);
    const afterGoodRun = recordExit(history, { startedAt: 2000, exitedAt: 60_000 }, noLoop);
    expect(afterGoodRun.decision).toEqual({ action: 'restart', delayMs: 500 });
    expect(afterGoodRun.history.quickExits).toBe(0);
  });
});

describe('crash loop', () => {
  it('gives up at the Nth exit within the window', () => {
    const decisions = exits(5, 100);
    expect(decisions.slice(0, 4).every((d) => d.action === 'restart')).toBe(true);
    expect(decisions[4]).toEqual({ action: 'give-up', exits: 5, windowMs: 60_000 });
  });

  it('forgets exits older than the window: one exit a minute goes on for ever', () => {
    const decisions = exits(50, 61_000);
    expect(decisions.every((d) => d.action === 'restart')).toBe(true);
  });

  it('never gives up when crashLoopExits is 0', () => {
    expect(exits(200, 10, { ...policy, crashLoopExits: 0 }).every((d) => d.action === 'restart')).toBe(true);
  });

  it('by default, a process that cannot start gives up after about a minute, not while the back-off keeps its exits sparse', () => {
    // Each attempt runs ~1 s (Node starting up and failing) before it exits.
    let history: ExitHistory = noExits;
    let now = 0;
    for (;;) {
      const startedAt = now;
      now += 1000;
      const { history: next, decision } = recordExit(history, { startedAt, exitedAt: now }, defaultRestartPolicy);
      history = next;
      if (decision.action === 'give-up') break;
      now += decision.delayMs;
    }
    expect(history.recentExits).toHaveLength(defaultRestartPolicy.crashLoopExits);
    expect(now).toBeGreaterThan(30_000);
    expect(now).toBeLessThan(defaultRestartPolicy.crashLoopWindowMs);
  });
});

describe('lines', () => {
  it('says how a process ended', () => {
    expect(describeExit({ code: 1, signal: null })).toBe('code 1');
    expect(describeExit({ code: null, signal: 'SIGKILL' })).toBe('signal SIGKILL');
    expect(describeExit({ code: null, signal: null, error: 'spawn ENOENT' })).toBe('failed to start: spawn ENOENT');
  });

  it('says durations in units a person reads', () => {
    expect(formatDuration(450)).toBe('450 ms');
    expect(formatDuration(2500)).toBe('2.5 s');
    expect(formatDuration(10_000)).toBe('10 s');
    expect(formatDuration(150_000)).toBe('2.5 min');
  });
});
