import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CancellationResult, ReservationSnapshot } from '../lib/reservations.js';

/** The reservation as the workflow sees it now. */
export const stateQuery = defineQuery<ReservationSnapshot>('state');
/** Answers once the reservation has left `pending`: held, or ended. Used with update-with-start. */
export const settledUpdate = defineUpdate<ReservationSnapshot>('settled');
/** Pays a held reservation; answers with the outcome of the payment and ticket steps. */
export const payUpdate = defineUpdate<ReservationSnapshot, [{ paymentToken: string }]>('pay');
/** Cancels the reservation and answers once it is cancelled (or had ended otherwise). */
export const cancelUpdate = defineUpdate<CancellationResult>('cancel');
/** Fire-and-forget cancellation, for event cancellation. */
export const cancelSignal = defineSignal('cancel');

