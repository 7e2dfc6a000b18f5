import { allHandlersFinished, condition, continueAsNew, currentUpdateInfo, patched, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import { CLOSED_ENTRIES_PER_CALL, type PendingOffer, type WaitlistEnd, type WaitlistInput } from '../lib/waitlist.js';
import { waitlistLine, waitlistOffers } from './activity-presets.js';
import { eventCancelledSignal, joinUpdate, leaveUpdate, offersMadeSignal, waitlistStateQuery } from './waitlist-messages.js';

/** Joins, leaves and wake-ups per run before continuing as new (each join is ~5 history events). */
const MESSAGES_PER_RUN = 200;
/** How often the catalogue is read again while nothing happens: a moved or cancelled event is noticed. */
const RECHECK_MS = 60 * 60_000;
/** The close that waits for running joins, then tells the customers of a cancelled event (issue 15's gap). */
const CANCELLATION_NOTICE_PATCH = 'waitlist-cancellation-notice';

/**
 * One workflow per event's waiting list (`event-<id>-waitlist`, docs/waiting-list.md), started by
 * the first join. The line itself is in Postgres (booking.waitlist); joins and leaves are updates
 * that write it. Offers are made by the seat release, in its own transaction, which then signals
 * here: this workflow starts each offer's reservation saga (a hold that expires on the saga's own
 * timer, and whose release offers the seats to the next in line) and tells its customer. When the
 * event starts, or is cancelled, the line closes; a cancellation is signalled by the API, so the
 * line closes at once and everyone in it is told. History stays bounded: continue-as-new.
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
  // The event was cancelled: wake and read the catalogue (the loop's first step) now.
  let cancelSignalled = false;
  setHandler(eventCancelledSignal, () => {
    cancelSignalled = true;
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

  /** Everyone whose place closed with a cancellation hears of it, page by page (each notice keyed: once). */
  async function tellClosedEntries(): Promise<void> {
    let afterPlace: string | undefined;
    for (;;) {
      const page = await waitlistOffers.closedEntries({ eventId, ...(afterPlace ? { afterPlace } : {}) });
      if (page.customerIds.length > 0) await waitlistOffers.announceCancellation({ eventId, customerIds: page.customerIds });
      if (page.customerIds.length < CLOSED_ENTRIES_PER_CALL || !page.lastPlace) return;
      afterPlace = page.lastPlace;
    }
  }

  for (;;) {
    // Reset before the read: a cancellation signalled while it runs wakes the loop once more.
    cancelSignalled = false;
    const schedule = await waitlistOffers.eventSchedule({ eventId });
    startsAt = schedule.startsAt;
    if (offersPending) {
      offersPending = false;
      // Offers made before a cancellation still get their saga: the event's cancellation then ends it.
      await announceOffers();
    }
    if (schedule.status !== 'on_sale' || Date.parse(schedule.startsAt) <= Date.now()) {
      // Histories recorded before the cancellation notice close first and tell nobody.
      if (patched(CANCELLATION_NOTICE_PATCH)) {
        // A join still writing its entry finishes first, so that its entry closes (and is told) too.
        await condition(allHandlersFinished);
        await waitlistOffers.closeWaitlist({ eventId });
        if (schedule.status === 'cancelled') await tellClosedEntries();
        return { ended: schedule.status === 'on_sale' ? 'started' : schedule.status };
      }
      await waitlistOffers.closeWaitlist({ eventId });
      await condition(allHandlersFinished);
      return { ended: schedule.status === 'on_sale' ? 'started' : schedule.status };
    }
    if (messages >= MESSAGES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof eventWaitlist>({ eventId, startsAt });
    }
    messages++;
    await condition(() => offersPending || cancelSignalled, Math.min(Date.parse(schedule.startsAt) - Date.now(), RECHECK_MS));
  }
}
