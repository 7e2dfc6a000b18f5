/**
 * The waiting room's pure rules (docs/waiting-room.md), shared by the API, the workflow, the page
 * and the load script: what a place's status can be, and how a client turns the one broadcast per
 * event ("admitted through place N, at R a minute") into its own position and estimated wait.
 */

/**
 * A buyer's place in an event's queue.
 * - `pre_queue`: joined before the opening; the random order is drawn at `opensAt`, so no position yet.
 * - `waiting`: has a place; `position` 1 is the next to be admitted.
 * - `admitted`: may book with the admission token until `admissionExpiresAt`.
 * - `booked`: booked with the admission (a reservation was accepted); the turn is used.
 * - `expired`: admitted but did not book within the window: the turn passed to the next in line.
 * - `sold_out`: the event sold out while the buyer waited.
 * - `closed`: the queue was removed or the event cancelled or started.
 */
export const queuePlaceStatuses = ['pre_queue', 'waiting', 'admitted', 'booked', 'expired', 'sold_out', 'closed'] as const;
export type QueuePlaceStatus = (typeof queuePlaceStatuses)[number];

/**
 * The queue as a whole.
 * - `pre_opening`: joins are taken (from `joinOpensAt`), nobody is admitted yet.
 * - `open`: admitting, in queue order.
 * - `sold_out`: nothing left to sell: everyone still waiting was told.
 * - `closed`: the queue was removed, or the event cancelled or started.
 */
export const queueStates = ['pre_opening', 'open', 'sold_out', 'closed'] as const;
export type QueueState = (typeof queueStates)[number];

/** Limits of an event's `queue.admitPerMinute` (unset: the rate adapts, see adaptiveWindow). */
export const MIN_ADMIT_PER_MINUTE = 1;
export const MAX_ADMIT_PER_MINUTE = 100_000;

/**
 * A waiting place's position: 1 for the next to be admitted. `admittedThrough` is the highest
 * place admitted so far (places are 1, 2, 3, … in queue order and admitted strictly in that order).
 */
export function positionOf(place: number, admittedThrough: number): number {
  return Math.max(1, place - admittedThrough);
}

/**
 * The estimated wait of a waiting position at the current admission rate (per minute), in whole
 * seconds; null while nothing is being admitted (rate 0: no basis for an estimate).
 */
export function estimatedWaitSeconds(position: number, admitPerMinute: number): number | null {
  if (!(admitPerMinute > 0)) return null;
  return Math.ceil((position * 60) / admitPerMinute);
}
