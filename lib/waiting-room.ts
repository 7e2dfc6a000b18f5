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

/** The on-sale workflow of an event's queue (workflows/waiting-room.ts). */
export const waitingRoomWorkflowId = (eventId: string): string => `waiting-room-${eventId}`;

/**
 * Fixed rate: how many to admit this tick. Fractions carry over to the next tick, so 90 a minute
 * at one tick a second admits 1, 2, 1, 2, … and exactly 90 a minute, however the ticks are spaced.
 */
export function fixedRateAdmissions(input: { admitPerMinute: number; elapsedMs: number; carry: number }): { admit: number; carry: number } {
  const due = (input.admitPerMinute * Math.max(0, input.elapsedMs)) / 60_000 + input.carry;
  const admit = Math.floor(due);
  // A carry never exceeds one tick's worth plus one buyer: a long pause does not bank a burst.
  const cap = Math.max(1, (input.admitPerMinute * Math.max(0, input.elapsedMs)) / 60_000);
  return { admit, carry: Math.min(due - admit, cap) };
}

export interface AdmissionWindowLimits {
  /** The window a fresh queue starts with, and its floor (QUEUE_MIN_WINDOW). */
  min: number;
  /** Its ceiling (QUEUE_MAX_WINDOW). */
  max: number;
  /** The p99 booking latency admitted buyers should see (QUEUE_TARGET_LATENCY_MS). */
  targetLatencyMs: number;
}

/**
 * The adaptive rate rule (docs/waiting-room.md, "The rate rule"): the window is how many admitted
 * buyers may be unfinished (admitted, not booked, window not over) at once. By Little's law the
 * admission rate then settles at window ÷ (time an admitted buyer takes to book), so the window
 * is the knob, and booking latency is the signal:
 * - the p99 of bookings admitted since the window last shrank above the target: the stack is
 *   saturated, the window shrinks to three quarters (multiplicative decrease), never below `min`;
 *   bookings admitted before that shrink say nothing about the smaller window, so one slow burst
 *   shrinks it once, not once a tick until it has aged out;
 * - at or under the target with every slot used during the last tick (`used`: buyers still
 *   unfinished plus those who booked since the last tick — a slot that turned over within the tick
 *   was used, though it is free when the tick looks): it grows in proportion to the headroom,
 *   target ÷ p99 (at most half again), up to `max`: fast while bookings are far quicker than
 *   the target, slowly near it, not at all once one more buyer would not fit under it (measured:
 *   a step past it took a tick of 14 to 0.99 s), so the rate settles within a few ticks and then
 *   stays put instead of sawing up and down (buyers' estimates assume it stays put); a window too
 *   small to grow by a fraction still grows by one when bookings take at most two thirds of the target;
 * - every slot taken and no admitted buyer booked over the last 10 s (`bookedRecently` 0; null
 *   while the sale is younger than that, when it says nothing): the
 *   slots are held by buyers who are not booking — refused because the seats left do not fit
 *   their party, or still choosing — so it grows by one a tick, and the line moves on instead of
 *   waiting for their admissions to lapse (measured: a 50-buyer sale stalled with one seat left);
 * - otherwise (no samples, or slots left unused: the line, not the window, limits the rate): unchanged.
 */
export function nextAdmissionWindow(input: { window: number; used: number; p99LatencyMs: number | null; bookedRecently?: number | null; limits: AdmissionWindowLimits }): number {
  const { window, used, p99LatencyMs, limits } = input;
  const clamp = (value: number): number => Math.min(limits.max, Math.max(limits.min, value));
  if (latencyBreached(p99LatencyMs, limits)) return clamp(Math.floor(window * 0.75));
  // Every slot taken, yet nobody booked for a while: the slots are held by buyers who are not
  // booking (refused because their party no longer fits, or browsing), not by a busy stack.
  if (input.bookedRecently === 0 && used >= window) return clamp(window + 1);
  if (p99LatencyMs !== null && used >= window) {
    const headroom = Math.min(MAX_GROWTH, limits.targetLatencyMs / Math.max(1, p99LatencyMs));
    const grown = Math.floor(window * headroom);
    // Far under the target even a small window grows; near it, only by what the headroom
    // covers, so that the window does not probe past the target every few ticks.
    return clamp(headroom >= MAX_GROWTH ? Math.max(window + 1, grown) : grown);
  }
  return clamp(window);
}

/** Admitted buyers' bookings slower than the target: the window shrinks, and is judged afresh from then on. */
export const latencyBreached = (p99LatencyMs: number | null, limits: AdmissionWindowLimits): boolean => p99LatencyMs !== null && p99LatencyMs > limits.targetLatencyMs;

/** The most the adaptive window grows in one tick (see nextAdmissionWindow). */
export const MAX_GROWTH = 1.5;

/** The share of the adaptive window the sale's first tick of admissions fills (see adaptiveAdmissions). */
export const FIRST_ADMISSIONS_SHARE = 0.5;

/**
 * Adaptive rate: admit as many as the window has room for. The sale's very first admissions fill
 * only half of it: the saga's code may not have run since the worker started, and the first
 * bookings pay for that together (docs/waiting-room.md, "The first admissions"); the window
 * fills from the next tick.
 */
export function adaptiveAdmissions(window: number, inFlight: number, admittedSoFar: number): number {
  const room = Math.max(0, window - inFlight);
  return admittedSoFar === 0 ? Math.min(room, Math.ceil(window * FIRST_ADMISSIONS_SHARE)) : room;
}

/** What the admission rate estimate (the `admitPerMinute` buyers are told) is made from. */
export interface RateEstimateInput {
  /** The event's fixed rate, if it has one: then that is the rate. */
  fixed: number | null;
  /** The adaptive window after this tick. */
  window: number;
  /** How long a slot of the window stayed taken, ms, for recent bookings (see estimateAdmitPerMinute); null without samples. */
  meanSlotMs: number | null;
  /** How many recent bookings meanSlotMs is made of. */
  samples: number;
  /** Places admitted over the last `recentSpanMs` (the queue's open time, up to 10 s). */
  admittedRecently: number;
  recentSpanMs: number;
  /** What a slot is assumed to take before any booking was measured (see assumedSlotMs). */
  assumedSlotMs: number;
}

/**
 * The slot time assumed before any booking of the sale was measured: the window is sized for
 * bookings within the latency target, and a slot is refilled at the tick after its booking, so a
 * slot takes the target rounded up to whole ticks.
 */
export const assumedSlotMs = (limits: AdmissionWindowLimits, tickMs: number): number => Math.max(1, Math.ceil(limits.targetLatencyMs / tickMs)) * tickMs;

/** Bookings a Little's-law estimate needs before it is trusted over the recent admissions' count. */
export const MIN_RATE_SAMPLES = 3;

/** Little's law with the assumed slot time: the rate told before any booking was measured (and at the draw). */
export const assumedAdmitPerMinute = (window: number, slotMs: number): number => (window * 60_000) / slotMs;

/** How long the queue must have admitted before its own admissions are the rate (estimateAdmitPerMinute). */
export const MIN_RATE_SPAN_MS = 5_000;

/**
 * The adaptive rate buyers are told (per minute), for their estimates. An estimate is only as
 * good as the rate holds over the buyer's wait, and the adaptive window saws up and down around
 * the latency target, so the rate is the admissions actually made over the last seconds (up to
 * 10 s: a whole tooth of the saw, or more), once the queue has admitted for `MIN_RATE_SPAN_MS`.
 * Before that, Little's law on the first bookings: with the window full, the queue admits
 * `window ÷ time a slot stays taken` a second (a slot is taken from an admission until the next
 * tick after its booking, so slot times are whole ticks; `meanSlotMs` is their mean). Before
 * the first bookings, the same law with the slot time the window is sized for (`assumedSlotMs`):
 * the buyers admitted in the sale's first seconds are shown an estimate too, not none.
 */
export function estimateAdmitPerMinute(input: RateEstimateInput): number {
  if (input.fixed !== null) return input.fixed;
  if (input.recentSpanMs >= MIN_RATE_SPAN_MS && input.admittedRecently > 0) return (input.admittedRecently * 60_000) / input.recentSpanMs;
  if (input.meanSlotMs !== null && input.meanSlotMs > 0 && input.samples >= MIN_RATE_SAMPLES) return (input.window * 60_000) / input.meanSlotMs;
  return assumedAdmitPerMinute(input.window, input.assumedSlotMs);
}

/** The on-sale workflow's input; `carry`/`window`/`lastTickAt` are what continue-as-new carries over. */
export interface WaitingRoomInput {
  eventId: string;
  /** QUEUE_TICK_MS: how often admission runs. */
  tickMs: number;
  /** QUEUE_TICKS_PER_RUN: ticks before continuing as new (absent: the workflow's default). */
  ticksPerRun?: number;
  carry?: number;
  window?: number | null;
  /** When the adaptive window last shrank (epoch ms; see nextAdmissionWindow). */
  windowShrankAt?: number | null;
  /** Workflow time (ms) of the last tick, for the fixed rate's elapsed time. */
  lastTickAt?: number;
}

/** What the workflow asks of one tick. */
export interface AdmissionTickInput {
  eventId: string;
  elapsedMs: number;
  carry: number;
  /** The adaptive window so far (null: start at the minimum). */
  window: number | null;
  /** When it last shrank (epoch ms; absent or null: never). */
  windowShrankAt?: number | null;
}

export interface AdmissionTickResult {
  state: QueueState;
  carry: number;
  window: number | null;
  /** When the window last shrank (epoch ms; absent from older activity results). */
  windowShrankAt?: number | null;
  admitted: number;
  lapsed: number;
  /** Places still waiting after this tick (0: the workflow may sleep); absent from older activity results. */
  waiting?: number;
  /** Epoch ms of the next thing due without a join: the first running admission's end or the event's start. */
  wakeAt?: number | null;
}

/** The queue's schedule as the catalogue and the queue row have it now. */
export interface QueueSchedule {
  state: QueueState;
  /** Null: the event has no queue (any more). */
  opensAt: string | null;
}
