/**
 * One line per thing the run asked of the API. A booking attempt is one record however many HTTP
 * calls it took (a 202 and its polls, a hold and its payment): its outcome is the final one.
 */
export type RequestKind = 'reserve' | 'cancel' | 'create-event' | 'delete-event';

export type Outcome = 'confirmed' | 'cancelled' | 'ok' | 'failed';

export interface RequestRecord {
  seq: number;
  kind: RequestKind;
  /** Customer index (-1: the organizer). */
  client: number;
  eventId: string;
  reservationId?: string;
  /** Seats or tickets asked for. */
  seats: number;
  seatIds?: string[];
  /** Milliseconds since the load started. */
  start: number;
  end: number;
  latencyMs: number;
  /** The last HTTP status seen (0: no answer). */
  status: number;
  outcome: Outcome;
  /** Why it failed: the API's error code, a reservation's failure reason, or a transport problem. */
  errorCode?: string;
  httpCalls: number;
  /** HTTP calls that repeated an earlier one (same key) after no answer, a 5xx or a 429, or polls that got one. */
  retries?: number;
  /** The outcome is not known: the answer was lost, a 5xx, or still pending at the deadline. Cleared when settle() learns it. */
  unresolved?: boolean;
  /** The booking was answered 202 pending and followed up until it settled. */
  answeredPending?: boolean;
  /** --hold-then-pay: how long the hold took before the payment call. */
  holdMs?: number;
  idempotencyKey?: string;
  sameRequest?: 'keyed' | 'unkeyed';
}

/** The failure reasons that are the system saying no on business grounds, as opposed to errors. */
export const businessRefusals = new Set(['seats_unavailable', 'sold_out', 'payment_declined', 'event_not_on_sale', 'hold_expired', 'idempotency_key_reused', 'cancelled']);

/** A reservation's final state → a record's outcome and reason. */
export function outcomeOfStatus(status: string, failureReason?: string): { outcome: Outcome; errorCode?: string } {
  switch (status) {
    case 'confirmed':
      return { outcome: 'confirmed' };
    case 'failed':
      return { outcome: 'failed', errorCode: failureReason ?? 'reservation_failed' };
    case 'expired':
      return { outcome: 'failed', errorCode: 'hold_expired' };
    case 'cancelled':
      return { outcome: 'failed', errorCode: 'cancelled' };
    default:
      return { outcome: 'failed', errorCode: 'pending_timeout' };
  }
}
