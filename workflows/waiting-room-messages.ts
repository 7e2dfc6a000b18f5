import { defineQuery, defineSignal } from '@temporalio/workflow';

/**
 * The event's queue settings changed (opening moved, queue removed, event cancelled): read them
 * again now rather than at the next wake-up. Carries nothing: the catalogue is the truth.
 */
export const queueChangedSignal = defineSignal('queueChanged');

export interface WaitingRoomProgress {
  phase: 'before_opening' | 'admitting' | 'ended';
  /** Ticks run in this run (continue-as-new starts again at 0). */
  ticks: number;
  /** Places admitted by this run. */
  admitted: number;
  window: number | null;
  /** Asleep because nobody is waiting (until a join, an expiry or the start); absent in old runs. */
  sleeping?: boolean;
}
/** Where the on-sale stands (tests, the Web UI). */
export const waitingRoomProgressQuery = defineQuery<WaitingRoomProgress>('waitingRoomProgress');
