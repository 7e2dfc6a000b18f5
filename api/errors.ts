import { failures, type FailureType } from '../lib/failures.js';

/**
 * Every failure a client can see, with its HTTP status and stable code (the contract): the
 * protocol's own below, the domain's from the one vocabulary (lib/failures.ts) through
 * DomainError. Handlers throw these; the error middleware turns them into
 * `{ error, message, details? }`. Anything else is a 500 `internal_error`.
 */
export abstract class ApiError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationFailed extends ApiError {
  readonly status = 400;
  readonly code = 'validation_failed';
}
export class MalformedJson extends ApiError {
  readonly status = 400;
  readonly code = 'malformed_json';
}
export class Unauthorized extends ApiError {
  readonly status = 401;
  readonly code = 'unauthorized';
}
export class InvalidCredentials extends ApiError {
  readonly status = 401;
  readonly code = 'invalid_credentials';
}
export class Forbidden extends ApiError {
  readonly status = 403;
  readonly code = 'forbidden';
}
export class NotFound extends ApiError {
  readonly status = 404;
  constructor(
    readonly code: 'not_found' | 'event_not_found' | 'reservation_not_found' | 'ticket_not_found' | 'user_not_found' | 'waitlist_entry_not_found',
    message: string,
  ) {
    super(message);
  }
}
export class MethodNotAllowed extends ApiError {
  readonly status = 405;
  readonly code = 'method_not_allowed';
}
export class EmailTaken extends ApiError {
  readonly status = 409;
  readonly code = 'email_taken';
}
export class ReservationNotCancellable extends ApiError {
  readonly status = 409;
  readonly code = 'reservation_not_cancellable';
}
export class PayloadTooLarge extends ApiError {
  readonly status = 413;
  readonly code = 'payload_too_large';
}
export class IdempotencyKeyReused extends ApiError {
  readonly status = 422;
  readonly code = 'idempotency_key_reused';
}
/** Too many attempts of one kind from one account or address: wait `retryAfterSeconds` (sent as Retry-After). */
export class RateLimited extends ApiError {
  readonly status = 429;
  readonly code = 'rate_limited';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    details?: { limit: string },
  ) {
    super(message, details);
  }
}
/** A failure of the domain vocabulary: its status and code are the vocabulary's. */
export class DomainError extends ApiError {
  readonly status: number;
  readonly code: string;
  constructor(
    readonly type: FailureType,
    message: string = failures[type].message,
    details?: unknown,
    /** Sent as Retry-After (a 503 that says when to book again). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message, details);
    this.status = failures[type].status;
    this.code = failures[type].code;
  }
}

/** The saga failed for an infrastructure reason (after its retries); it was undone, nothing charged. */
export class ReservationFailed extends ApiError {
  readonly status = 502;
  readonly code = 'reservation_failed';
}
