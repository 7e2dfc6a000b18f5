import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { OFFERS_MADE_SIGNAL, type JoinRequest, type WaitlistPlace } from '../lib/waitlist.js';

/** Puts the customer in line (or updates their quantity, keeping their place); answers the place. */
export const joinUpdate = defineUpdate<WaitlistPlace, [JoinRequest]>('join');
/** Takes the customer out of line. */
export const leaveUpdate = defineUpdate<{ left: boolean }, [{ customerId: string }]>('leave');
/**
 * The seat release handed seats to the line (activities/booking/waitlist-handoff.ts): start the
 * offers' sagas and tell their customers. Carries nothing: the offers are read from Postgres.
 */
export const offersMadeSignal = defineSignal(OFFERS_MADE_SIGNAL);

export interface WaitlistState {
  startsAt?: string;
  /** Offers announced by this run. */
  announced: number;
}
export const waitlistStateQuery = defineQuery<WaitlistState>('waitlistState');
