import { condition, continueAsNew, patched, setHandler } from '@temporalio/workflow';
import type { QueueState, WaitingRoomInput } from '../lib/waiting-room.js';
import { waitingRoomSteps as steps } from './activity-presets.js';
import { queueChangedSignal, waitingRoomProgressQuery, type WaitingRoomProgress } from './waiting-room-messages.js';

/** Ticks per run before continuing as new (QUEUE_TICKS_PER_RUN): ~8 history events a tick keeps a run under ~2,000. */
export const TICKS_PER_RUN = 240;

/** An idle queue still ticks this often, so a join whose wake-up signal was lost (Temporal away) waits at most this long. */
export const IDLE_CHECK_MS = 60_000;

/** Sleeping while idle and waking on a join's signal: runs recorded before it replay the old loop. */
const IDLE_SLEEP_PATCH = 'waiting-room-idle-sleep';

export interface WaitingRoomEnd {
  ended: QueueState;
}

/**
 * One workflow per on-sale (`waiting-room-<eventId>`), started when an event gets a queue. It
 * sleeps on a durable timer until the opening (woken early when the settings change), draws the
 * pre-queue's order, then admits in batches, one tick every `tickMs`, until the event sells out,
 * starts, is cancelled or loses its queue. The queue itself lives in Postgres; this workflow only
 * keeps time and carries the rate's state (the fixed rate's fraction, the adaptive window) across
 * restarts and runs.
 */
export async function waitingRoom(input: WaitingRoomInput): Promise<WaitingRoomEnd> {
  const { eventId, tickMs } = input;
  const ticksPerRun = input.ticksPerRun ?? TICKS_PER_RUN;
  let changed = false;
  const progress: WaitingRoomProgress = { phase: input.lastTickAt === undefined ? 'before_opening' : 'admitting', ticks: 0, admitted: 0, window: input.window ?? null };
  setHandler(queueChangedSignal, () => {
    changed = true;
  });
  setHandler(waitingRoomProgressQuery, () => progress);

  const end = (state: QueueState): WaitingRoomEnd => {
    progress.phase = 'ended';
    return { ended: state };
  };

  if (input.lastTickAt === undefined) {
    for (;;) {
      const schedule = await steps.queueSchedule({ eventId });
      if (schedule.state === 'closed' || schedule.state === 'sold_out' || schedule.opensAt === null) return end(schedule.state);
      if (schedule.state === 'open') break;
      const untilOpening = Date.parse(schedule.opensAt) - Date.now();
      if (untilOpening <= 0) {
        const state = await steps.openQueue({ eventId });
        if (state !== 'open') return end(state);
        break;
      }
      changed = false;
      await condition(() => changed, untilOpening);
    }
  }

  progress.phase = 'admitting';
  let carry = input.carry ?? 0;
  let window = input.window ?? null;
  let windowShrankAt = input.windowShrankAt ?? null;
  let lastTickAt = input.lastTickAt ?? Date.now();
  for (;;) {
    const idleSleep = patched(IDLE_SLEEP_PATCH);
    // A signal that comes while the tick runs (a join into an empty line) must not be lost.
    if (idleSleep) changed = false;
    const now = Date.now();
    // A pause (no worker for a while) does not bank admissions for one burst after it.
    const elapsedMs = Math.min(now - lastTickAt, 2 * tickMs);
    const tick = await steps.admissionTick({ eventId, elapsedMs, carry, window, windowShrankAt });
    lastTickAt = now;
    ({ carry, window } = tick);
    windowShrankAt = tick.windowShrankAt ?? windowShrankAt;
    progress.ticks++;
    progress.admitted += tick.admitted;
    progress.window = window;
    if (tick.state !== 'open') return end(tick.state);
    if (progress.ticks >= ticksPerRun) await continueAsNew<typeof waitingRoom>({ eventId, tickMs, ticksPerRun, carry, window, windowShrankAt, lastTickAt });
    if (idleSleep) {
      // Nobody waiting: nothing to admit until someone joins (the join signals), an admission
      // lapses (its expiry) or the event starts (the queue closes).
      const sleepMs = tick.waiting === 0 ? idleSleepMs(tick, Date.now(), tickMs) : tickMs;
      progress.sleeping = sleepMs > tickMs;
      await condition(() => changed, sleepMs);
      progress.sleeping = false;
    } else {
      // A settings change (the event cancelled, the queue removed) is read at once, not a tick later.
      changed = false;
      await condition(() => changed, tickMs);
    }
  }
}

/** How long an idle queue sleeps: until its next wake-up (an expiry, the start), at most IDLE_CHECK_MS, at least a tick. */
function idleSleepMs(tick: { wakeAt?: number | null }, now: number, tickMs: number): number {
  const until = tick.wakeAt === undefined || tick.wakeAt === null ? IDLE_CHECK_MS : tick.wakeAt - now;
  return Math.max(tickMs, Math.min(IDLE_CHECK_MS, until));
}
