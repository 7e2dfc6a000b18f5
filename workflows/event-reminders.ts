import { condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { NotificationActivities } from '../activities/notifications.js';
import type { EventRemindersInput, EventSchedule, SubscriberNotice } from '../lib/notifications.js';
import { eventChangedSignal, remindersStateQuery } from './reminder-messages.js';

const notices = proxyActivities<NotificationActivities>({
  startToCloseTimeout: '1 minute',
  // A notice must eventually reach everyone: retried without limit, each batch keyed (no doubles).
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Subscriber batches per run; a round that needs more continues as new where it stopped. */
const BATCHES_PER_RUN = 20;
/** Wake-ups (reminders sent, changes handled) per run before continuing as new. */
const WAKES_PER_RUN = 50;

export type RemindersEnd = { ended: 'started' | 'cancelled' | 'missing' };

/**
 * One workflow per event (`event-<id>-reminders`), started when someone subscribes: it sleeps on a
 * durable timer until each reminder offset before `startsAt`, then notifies every subscriber in
 * batches. A change signal makes it read the catalogue again: a moved event tells subscribers
 * (`event_changed`) and re-plans every offset still ahead; a cancelled one tells them
 * (`event_cancelled`) and ends. Offsets already past when a start time is planned are skipped; a
 * timer that fires late still sends. History stays bounded: continue-as-new carries the plan.
 */
export async function eventReminders(input: EventRemindersInput): Promise<RemindersEnd> {
  const { eventId } = input;
  let changePending = input.changePending ?? false;
  let startsAt = input.startsAt;
  let offsets: number[] = [];
  // Undefined: nothing planned yet for this start time (a fresh start).
  let done: Set<number> | undefined = input.sentOffsets ? new Set(input.sentOffsets) : undefined;
  let batches = 0;
  let wakes = 0;

  const pending = (): number[] => offsets.filter((offset) => !done?.has(offset));
  const reminderTime = (offset: number): number => Date.parse(startsAt) - offset * 1000;
  setHandler(eventChangedSignal, () => {
    changePending = true;
  });
  setHandler(remindersStateQuery, () => {
    const next = pending()[0];
    return { startsAt, pendingOffsets: pending(), ...(next !== undefined ? { nextReminderAt: new Date(reminderTime(next)).toISOString() } : {}) };
  });

  const carryOn = (round?: EventRemindersInput['round']): Promise<never> =>
    continueAsNew<typeof eventReminders>({ eventId, startsAt, sentOffsets: [...(done ?? [])], changePending, ...(round ? { round } : {}) });

  /** Tells every subscriber, batch by batch, from `after` on. */
  async function tellAll(notice: SubscriberNotice, after?: string): Promise<void> {
    let cursor = after;
    for (;;) {
      if (batches >= BATCHES_PER_RUN) await carryOn({ notice, ...(cursor ? { afterUserId: cursor } : {}) });
      const batch = await notices.notifySubscribers({ eventId, notice, ...(cursor ? { afterUserId: cursor } : {}) });
      batches++;
      if (batch.done || !batch.lastUserId) return;
      cursor = batch.lastUserId;
    }
  }

  /** Acts on the catalogue's word; returns how the workflow ends, if it does. */
  async function apply(schedule: EventSchedule): Promise<RemindersEnd | undefined> {
    offsets = schedule.offsetsSeconds;
    if (schedule.status === 'missing') return { ended: 'missing' };
    if (schedule.status === 'cancelled') {
      await tellAll({ kind: 'event_cancelled' });
      return { ended: 'cancelled' };
    }
    const previousStartsAt = startsAt;
    const moved = Date.parse(schedule.startsAt) !== Date.parse(startsAt);
    if (moved) {
      startsAt = schedule.startsAt;
      done = undefined;
    }
    // A new plan (planned before telling, so a round continued as new carries it): reminders
    // whose time has already gone are not sent late.
    done ??= new Set(offsets.filter((offset) => reminderTime(offset) <= Date.now()));
    if (moved) await tellAll({ kind: 'event_changed', startsAt, previousStartsAt, changedAt: schedule.updatedAt });
    return undefined;
  }

  const finishRound = async (round: NonNullable<EventRemindersInput['round']>): Promise<RemindersEnd | undefined> => {
    await tellAll(round.notice, round.afterUserId);
    if (round.notice.kind === 'event_cancelled') return { ended: 'cancelled' };
    if (round.notice.kind === 'reminder' && Date.parse(round.notice.startsAt) === Date.parse(startsAt)) done?.add(round.notice.offsetSeconds);
    return undefined;
  };

  if (input.round) {
    const ended = await finishRound(input.round);
    if (ended) return ended;
  }
  // Every run starts from the catalogue: a change missed while continuing as new is caught here.
  changePending = false;
  const first = await apply(await notices.eventSchedule({ eventId }));
  if (first) return first;

  for (;;) {
    if (wakes >= WAKES_PER_RUN || workflowInfo().continueAsNewSuggested) await carryOn();
    const next = pending()[0];
    const wakeAt = next === undefined ? Date.parse(startsAt) : reminderTime(next);
    const waitMs = wakeAt - Date.now();
    const changed = changePending || (waitMs > 0 && (await condition(() => changePending, waitMs)));
    wakes++;
    if (changed) {
      changePending = false;
      const ended = await apply(await notices.eventSchedule({ eventId }));
      if (ended) return ended;
      continue;
    }
    // The catalogue's word before every round: a change whose signal was lost is caught here.
    const before = startsAt;
    const ended = await apply(await notices.eventSchedule({ eventId }));
    if (ended) return ended;
    if (Date.parse(before) !== Date.parse(startsAt)) continue;
    // Nothing left to remind of, and the event has begun.
    if (next === undefined) return { ended: 'started' };
    await tellAll({ kind: 'reminder', offsetSeconds: next, startsAt });
    done?.add(next);
  }
}
