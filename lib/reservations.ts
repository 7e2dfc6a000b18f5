/**
 * The reservation domain's shared vocabulary: pure types and names used by the API, the workflows
 * and the activities. No I/O here: workflow code imports it.
 */
export const reservationStatuses = ['pending', 'held', 'confirmed', 'failed', 'expired', 'cancelled'] as const;
export type ReservationStatus = (typeof reservationStatuses)[number];

/** Statuses a reservation never leaves. */
export const terminalStatuses = ['confirmed', 'failed', 'expired', 'cancelled'] as const satisfies readonly ReservationStatus[];
export type TerminalStatus = (typeof terminalStatuses)[number];
export const isTerminal = (status: ReservationStatus): status is TerminalStatus => (terminalStatuses as readonly string[]).includes(status);

/** Ended without a sale: the row is a tombstone that a late seat-lock respects. */
export const closedStatuses = ['failed', 'expired', 'cancelled'] as const satisfies readonly ReservationStatus[];
export type ClosedStatus = (typeof closedStatuses)[number];
export const isClosed = (status: ReservationStatus): status is ClosedStatus => (closedStatuses as readonly string[]).includes(status);

/** Not over yet, or sold: the reservations an event cancellation must undo. */
export const openStatuses = ['pending', 'held', 'confirmed'] as const satisfies readonly ReservationStatus[];

export const reservationWorkflowId = (reservationId: string): string => `reservation-${reservationId}`;
/** The payment's idempotency key: the saga charges under it, every cancellation refunds it. */
export const chargeKeyOf = (reservationId: string): string => `${reservationWorkflowId(reservationId)}:charge`;
export const cancellationWorkflowId = (reservationId: string): string => `reservation-${reservationId}-cancellation`;
export const eventCancellationWorkflowId = (eventId: string): string => `event-${eventId}-cancellation`;
export const checkInWorkflowId = (code: string): string => `check-in-${code}`;

/** What the booking schema keeps of a reservation. */
export interface ReservationRecord {
  reservationId: string;
  eventId: string;
  customerId: string;
  /** Reserved seating: the seats asked for. General admission: empty until units are assigned. */
  seatIds: string[];
  quantity: number;
  amountCents: number;
  currency: string;
}

/** What the API asks for; the workflow's input. */
export interface ReservationRequest extends ReservationRecord {
  eventName: string;
  seating: 'reserved' | 'general';
  /** Total number of seats or units of the event, so the inventory can be created on first use. */
  capacity: number;
  /** Reserved seating only: every seat id of the room, for the inventory's first creation. */
  rows?: number;
  seatsPerRow?: number;
  /**
   * Reserved seating: the seat-lock picks `quantity` seats itself (lib/best-available.ts) and
   * `seatIds` is empty until it has.
   */
  bestAvailable?: boolean;
  /** Present: pay at once. Absent: hold the seats until `pay` or expiry. */
  paymentToken?: string;
  holdTtlMs: number;
  /**
   * When the event starts: the seat-lock refuses a booking from then on (event_not_on_sale).
   * Absent in requests made before the rule existed.
   */
  startsAt?: string;
  /** Hash of the HTTP request, so a reused Idempotency-Key with another body is recognized. */
  requestHash: string;
  /**
   * Seats the seat-lock chooses go into the search attributes with the next status, in one upsert
   * (docs/performance.md, lever 2b). Set by the API since; absent in workflows started before,
   * which list them right after the hold, as their histories recorded. A flag of the input rather
   * than patched(): the SDK upserts a search attribute (TemporalChangeVersion) for every patch.
   */
  seatIdsWithStatus?: true;
}

export interface Ticket {
  code: string;
  seat: string;
}

/** The workflow's view of its reservation: returned by its query, its updates and its result. */
export interface ReservationSnapshot {
  id: string;
  workflowId: string;
  status: ReservationStatus;
  eventId: string;
  customerId: string;
  seating: 'reserved' | 'general';
  seats: string[];
  quantity: number;
  amountCents: number;
  currency: string;
  refundedCents: number;
  tickets: Ticket[];
  failureReason?: string;
  /** For seats_unavailable: the seats someone else has. */
  unavailableSeats?: string[];
  /** For hold_limit_reached: which cap, and how much the customer already had. */
  holdLimit?: HoldLimitDetails;
  expiresAt?: string;
  requestHash: string;
}

/** A reservation's snapshot before anything happened to it. */
export function initialSnapshot(request: ReservationRequest, workflowId: string): ReservationSnapshot {
  return {
    id: request.reservationId,
    workflowId,
    status: 'pending',
    eventId: request.eventId,
    customerId: request.customerId,
    seating: request.seating,
    seats: request.seatIds,
    quantity: request.quantity,
    amountCents: request.amountCents,
    currency: request.currency,
    refundedCents: 0,
    tickets: [],
    requestHash: request.requestHash,
  };
}

/** The record of a reservation, from what its workflow knows. */
export const recordOfSnapshot = (snapshot: ReservationSnapshot): ReservationRecord => ({
  reservationId: snapshot.id,
  eventId: snapshot.eventId,
  customerId: snapshot.customerId,
  seatIds: snapshot.seats,
  quantity: snapshot.quantity,
  amountCents: snapshot.amountCents,
  currency: snapshot.currency,
});

/** hold_limit_reached's details: `per` says which cap (seats for one event, or open reservations). */
export interface HoldLimitDetails {
  limit: number;
  held: number;
  per: 'event' | 'customer';
}

/**
 * The cancellation rules a customer's cancel is held to, decided by the ticketing store in the
 * transaction that voids the tickets: refused when a ticket was checked in, or after `until`.
 */
export interface CancellationRules {
  /** ISO time after which valid tickets are no longer voided and refunded (event start minus the cut-off). */
  until?: string;
}

/** What a cancellation workflow is given: the reservation, and the rules when a customer asked. */
export interface CancellationRequest extends ReservationRecord {
  rules?: CancellationRules;
}

export interface CancellationResult {
  status: ReservationStatus;
  refundedCents: number;
  /** Why the ticketing store refused the cancellation (the reservation stays confirmed). */
  refusal?: string;
}
