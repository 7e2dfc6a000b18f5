import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { EVENT_CANCELLED_SIGNAL, OFFERS_MADE_SIGNAL, type JoinRequest, type WaitlistPlace } from '../lib/waitlist.js';

/** Puts the customer in line (or updates their quantity, keeping their place); answers the place. */
export const joinUpdate = defineUpdate<WaitlistPlace, [JoinRequest]>('join');
/** Takes the customer out of line. */
export const leaveUpdate = defineUpdate<{ left: boolean }, [{ customerId: string }]>('leave');
/**
 * The seat release handed seats to the line (activities/booking/waitlist-handoff.ts): start the
 * offers' sagas and tell their customers. Carries nothing: the offers are read from Postgres.
 */
export const offersMadeSignal = defineSignal(OFFERS_MADE_SIGNAL);
/**
 * The event was cancelled (the API's DELETE /api/events/:id, with signal-with-start): read the
 * catalogue now, close the line and tell everyone in it, rather than at the next hourly look.
 * Carries nothing: the catalogue says what happened.
 */
export const eventCancelledSignal = defineSignal(EVENT_CANCELLED_SIGNAL);

export interface WaitlistState {
  startsAt?: string;
  /** Offers announced by this run. */
  announced: number;
}
export const waitlistStateQuery = defineQuery<WaitlistState>('waitlistState');
