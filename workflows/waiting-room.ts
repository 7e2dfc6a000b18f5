import { condition, continueAsNew, setHandler } from '@temporalio/workflow';
import type { QueueState, WaitingRoomInput } from '../lib/waiting-room.js';
import { waitingRoomSteps as steps } from './activity-presets.js';
import { queueChangedSignal, waitingRoomProgressQuery, type WaitingRoomProgress } from './waiting-room-messages.js';

/** Ticks per run before continuing as new (QUEUE_TICKS_PER_RUN): ~8 history events a tick keeps a run under ~2,000. */
export const TICKS_PER_RUN = 240;

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
  let lastTickAt = input.lastTickAt ?? Date.now();
  for (;;) {
    const now = Date.now();
    // A pause (no worker for a while) does not bank admissions for one burst after it.
    const elapsedMs = Math.min(now - lastTickAt, 2 * tickMs);
    const tick = await steps.admissionTick({ eventId, elapsedMs, carry, window });
    lastTickAt = now;
    ({ carry, window } = tick);
    progress.ticks++;
    progress.admitted += tick.admitted;
    progress.window = window;
    if (tick.state !== 'open') return end(tick.state);
    if (progress.ticks >= ticksPerRun) await continueAsNew<typeof waitingRoom>({ eventId, tickMs, ticksPerRun, carry, window, lastTickAt });
    // A settings change (the event cancelled, the queue removed) is read at once, not a tick later.
    changed = false;
    await condition(() => changed, tickMs);
  }
}
