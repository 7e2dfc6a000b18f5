import { allHandlersFinished, condition, continueAsNew, currentUpdateInfo, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import type { PendingOffer, WaitlistEnd, WaitlistInput } from '../lib/waitlist.js';
import { waitlistLine, waitlistOffers } from './activity-presets.js';
import { joinUpdate, leaveUpdate, offersMadeSignal, waitlistStateQuery } from './waitlist-messages.js';

/** Joins, leaves and wake-ups per run before continuing as new (each join is ~5 history events). */
const MESSAGES_PER_RUN = 200;
/** How often the catalogue is read again while nothing happens: a moved or cancelled event is noticed. */
const RECHECK_MS = 60 * 60_000;

/**
 * One workflow per event's waiting list (`event-<id>-waitlist`, docs/waiting-list.md), started by
 * the first join. The line itself is in Postgres (booking.waitlist); joins and leaves are updates
 * that write it. Offers are made by the seat release, in its own transaction, which then signals
 * here: this workflow starts each offer's reservation saga (a hold that expires on the saga's own
 * timer, and whose release offers the seats to the next in line) and tells its customer. When the
 * event starts, or is cancelled, the line closes. History stays bounded: continue-as-new.
 */
export async function eventWaitlist(input: WaitlistInput): Promise<WaitlistEnd> {
  const { eventId } = input;
  // A fresh run looks once: a signal may have been lost while continuing as new or before a start.
  let offersPending = true;
  let messages = 0;
  let announced = 0;
  let startsAt = input.startsAt;

  setHandler(joinUpdate, async (join) => {
    messages++;
    // The update's id names this join: its local activity may run again (a failed workflow task).
    return waitlistLine.joinWaitlist({ eventId, ...join, joinKey: currentUpdateInfo()?.id ?? uuid4() });
  });
  setHandler(leaveUpdate, async ({ customerId }) => {
    messages++;
    return waitlistLine.leaveWaitlist({ eventId, customerId });
  });
  setHandler(offersMadeSignal, () => {
    offersPending = true;
  });
  setHandler(waitlistStateQuery, () => ({ ...(startsAt ? { startsAt } : {}), announced }));

  /** Every offer not yet announced: its saga started, then its customer told, then marked. */
  async function announceOffers(): Promise<void> {
    for (;;) {
      const offers = await waitlistOffers.pendingOffers({ eventId });
      if (offers.length === 0) return;
      await Promise.all(offers.map(announce));
    }
  }
  async function announce(offer: PendingOffer): Promise<void> {
    await waitlistOffers.startOfferSaga(offer);
    await waitlistOffers.announceOffer(offer);
    await waitlistOffers.markOfferAnnounced({ reservationId: offer.reservationId });
    announced++;
  }

  for (;;) {
    const schedule = await waitlistOffers.eventSchedule({ eventId });
    startsAt = schedule.startsAt;
    if (offersPending) {
      offersPending = false;
      // Offers made before a cancellation still get their saga: the event's cancellation then ends it.
      await announceOffers();
    }
    if (schedule.status !== 'on_sale' || Date.parse(schedule.startsAt) <= Date.now()) {
      await waitlistOffers.closeWaitlist({ eventId });
      await condition(allHandlersFinished);
      return { ended: schedule.status === 'on_sale' ? 'started' : schedule.status };
    }
    if (messages >= MESSAGES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof eventWaitlist>({ eventId, startsAt });
    }
    messages++;
    await condition(() => offersPending, Math.min(Date.parse(schedule.startsAt) - Date.now(), RECHECK_MS));
  }
}
