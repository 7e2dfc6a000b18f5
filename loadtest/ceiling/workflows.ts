/**
 * The bench's own workflows (bundled by the bench's in-process worker, never by the production
 * worker): Temporal's floor on this machine, without any of Boxoffice's own work.
 */
import { condition, defineUpdate, proxyLocalActivities, setHandler } from '@temporalio/workflow';

export interface NoopActivities {
  step(): Promise<void>;
}

/** Answered like the reservation's `settled` update: when the steps are done. */
export const doneUpdate = defineUpdate<number>('done');

// The same timeout shape as the saga's local activities; they never fail here.
const { step } = proxyLocalActivities<NoopActivities>({ startToCloseTimeout: '10 seconds' });

/** (a) The cheapest workflow there is: started, completed, nothing else. */
export async function noopWorkflow(): Promise<void> {}

/** (b) The booking's shape with no-op steps: 4 sequential local activities, answered through an update. */
export async function bookingShapeWorkflow(): Promise<number> {
  let done = 0;
  setHandler(doneUpdate, async () => {
    await condition(() => done === 4);
    return done;
  });
  for (let i = 0; i < 4; i++) {
    await step();
    done++;
  }
  return done;
}
