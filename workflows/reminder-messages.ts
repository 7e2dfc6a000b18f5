import { defineQuery, defineSignal } from '@temporalio/workflow';

/**
 * The event's catalogue row changed (moved or cancelled): read it again and act. Carries nothing,
 * so signals arriving in any order still end in what the catalogue says.
 */
export const eventChangedSignal = defineSignal('eventChanged');

export interface RemindersState {
  startsAt: string;
  /** Offsets still to be reminded of for `startsAt`, largest first. */
  pendingOffsets: number[];
  /** The reminder's next wake-up, if one is due. */
  nextReminderAt?: string;
}
/** What the reminder workflow plans now (tests, the Web UI). */
export const remindersStateQuery = defineQuery<RemindersState>('remindersState');
