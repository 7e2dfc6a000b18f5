/**
 * The one failure vocabulary (pure: workflow code imports it). Every failure that crosses the
 * Temporal boundary has a `type` (the ApplicationFailure type an activity or workflow throws, which
 * retry policies match), and the API answers it with one HTTP status and stable error code. Those
 * that end a reservation also name the `reason` stored on the failed reservation.
 */
interface FailureSpec {
  /** The API's answer. */
  readonly status: number;
  readonly code: string;
  /** Stored as the failed reservation's failureReason; absent for failures that do not end one. */
  readonly reason?: string;
  /** The user-facing message when the failure ends a reservation. */
  readonly message: string;
}

export const failures = {
  // Failures that end a reservation: non-retryable, the saga compensates and records the reason.
  SeatsUnavailable: { status: 409, code: 'seats_unavailable', reason: 'seats_unavailable', message: 'Seats no longer available' },
  SoldOut: { status: 409, code: 'sold_out', reason: 'sold_out', message: 'Not enough tickets left' },
  PaymentDeclined: { status: 402, code: 'payment_declined', reason: 'payment_declined', message: 'The payment was declined; nothing was charged and the seats were released' },
  EventNotOnSale: { status: 409, code: 'event_not_on_sale', reason: 'event_not_on_sale', message: 'The event is no longer on sale' },
  // The customer already has as many seats pending or held for the event, or as many open
  // reservations, as allowed (lib/config.ts HOLD_MAX_*): details { limit, held, per }.
  HoldLimitReached: { status: 409, code: 'hold_limit_reached', reason: 'hold_limit_reached', message: 'You already hold as many seats or reservations as allowed; pay for or cancel one first' },
  TicketingFailed: { status: 502, code: 'reservation_failed', reason: 'ticketing_failed', message: 'Tickets could not be issued; the payment was refunded' },
  // The payment gateway's circuit breaker is open (activities/payment-breaker.ts): failing at once
  // releases the seats instead of holding them through minutes of retries.
  PaymentUnavailable: { status: 503, code: 'service_unavailable', reason: 'payment_unavailable', message: 'Payments are unavailable right now; nothing was charged and the seats were released' },
  // A seat-lock for a reservation that has already ended (its tombstone wins): not retried.
  ReservationClosed: { status: 409, code: 'reservation_closed', message: 'The reservation has already ended' },
  // Answers to a pay request.
  HoldExpired: { status: 410, code: 'hold_expired', message: 'The hold has expired: the seats were released' },
  NotPayable: { status: 409, code: 'reservation_not_payable', message: 'The reservation is not waiting for payment' },
  // Subscribing to reminders of an event that has already begun.
  EventStarted: { status: 409, code: 'event_started', message: 'The event has already started' },
  // Joining the waiting list of an event that has enough seats on sale for the quantity: book them.
  SeatsAvailable: { status: 409, code: 'seats_available', message: 'Enough seats are on sale for this quantity: book them instead of waiting' },
  // A cancellation the ticketing store refused: a ticket was checked in, or it is past the cut-off.
  NotCancellable: { status: 409, code: 'reservation_not_cancellable', message: 'The reservation can no longer be cancelled' },
  // Editing an event.
  EventCancelled: { status: 409, code: 'event_cancelled', message: 'The event is cancelled: it can no longer be changed' },
  // Booking-Protocol is an experiment's switch (EXPERIMENTS=on), or an admin's.
  BookingProtocolNotAllowed: { status: 403, code: 'booking_protocol_not_allowed', message: 'Choosing a booking protocol needs EXPERIMENTS=on or an admin' },
  // Check-in.
  TicketNotFound: { status: 404, code: 'ticket_not_found', message: 'No such ticket' },
  AlreadyCheckedIn: { status: 409, code: 'already_checked_in', message: 'This ticket was already checked in' },
  TicketVoid: { status: 409, code: 'ticket_void', message: 'This ticket is void: its reservation was cancelled' },
  // The waiting room (docs/waiting-room.md): booking a queued event needs an admission of one's own.
  AdmissionRequired: { status: 403, code: 'admission_required', message: 'This event has a waiting room: join the queue and book with the Admission-Token it gives you when it is your turn' },
  AdmissionExpired: { status: 410, code: 'admission_expired', message: 'Your admission has expired: the turn passed to the next in line' },
  QueueNotFound: { status: 404, code: 'queue_not_found', message: 'This event has no waiting room' },
  QueuePlaceNotFound: { status: 404, code: 'queue_place_not_found', message: 'You have not joined this event’s queue' },
  QueueNotOpen: { status: 409, code: 'queue_not_open', message: 'The queue does not take places yet' },
  QueueAlreadyOpen: { status: 409, code: 'queue_already_open', message: 'The queue has opened: its opening can no longer be moved or the queue removed (admitPerMinute may still change)' },
  // Postgres cannot prepare transactions at all: retrying will not help.
  TwoPhaseCommitUnavailable: { status: 502, code: 'reservation_failed', reason: 'two_phase_commit_unavailable', message: 'Two-phase commit is not available (max_prepared_transactions = 0)' },
} as const satisfies Record<string, FailureSpec>;

export type FailureType = keyof typeof failures;

/** Failure type names, for `ApplicationFailure.create({ type: Failure.SoldOut })` and retry policies. */
export const Failure = Object.fromEntries(Object.keys(failures).map((type) => [type, type])) as { readonly [T in FailureType]: T };

/** Histories recorded before the vocabulary was unified name the closed-event failure this way. */
const legacyTypes: Record<string, FailureType> = { EventClosed: 'EventNotOnSale' };

/** The vocabulary's name for an ApplicationFailure `type`, or undefined for anything else. */
export function failureTypeOf(type: string | null | undefined): FailureType | undefined {
  if (!type) return undefined;
  // Own keys only: `in` would also find 'toString', 'constructor' and the rest of Object.prototype.
  if (Object.hasOwn(failures, type)) return type as FailureType;
  return Object.hasOwn(legacyTypes, type) ? legacyTypes[type] : undefined;
}

/** The failures that end a reservation with a reason the user sees. */
export const reservationEndingFailures = ['SeatsUnavailable', 'SoldOut', 'PaymentDeclined', 'EventNotOnSale', 'HoldLimitReached', 'TicketingFailed', 'PaymentUnavailable'] as const satisfies readonly FailureType[];
export type ReservationEndingFailure = (typeof reservationEndingFailures)[number];
export const isReservationEnding = (type: FailureType | undefined): type is ReservationEndingFailure =>
  type !== undefined && (reservationEndingFailures as readonly string[]).includes(type);

/** What the saga's steps must not retry: the reservation-ending failures, and a closed reservation. */
export const nonRetryableStepFailures: readonly string[] = [...reservationEndingFailures, 'ReservationClosed', ...Object.keys(legacyTypes)];
/** What check-in must not retry. */
export const checkInFailures = ['TicketNotFound', 'AlreadyCheckedIn', 'TicketVoid'] as const satisfies readonly FailureType[];

/** Stored when a reservation failed for a reason outside the vocabulary (retries exhausted). */
export const INTERNAL_FAILURE_REASON = 'internal_error';

/** The reason stored for a failed reservation. */
export const reasonOf = (type: FailureType | undefined): string => (type ? (failures[type] as FailureSpec).reason : undefined) ?? INTERNAL_FAILURE_REASON;

/** The vocabulary entry behind a stored failureReason (undefined: an internal failure). */
export function failureOfReason(reason: string | null | undefined): FailureType | undefined {
  if (!reason) return undefined;
  return (Object.keys(failures) as FailureType[]).find((type) => (failures[type] as FailureSpec).reason === reason);
}
