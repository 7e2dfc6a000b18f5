import { ApiError } from './errors.js';

/** What was unavailable: a service, or this process's own password hashing (its queue is full). */
export type Dependency = 'postgres' | 'temporal' | 'password_hashing';

/**
 * An error and its causes, outermost first, as long as they are errors: drizzle wraps the
 * driver's error, and the Temporal SDK wraps gRPC's, so what says why is a few links down.
 */
export function* causeChain(error: unknown, depth = 5): Generator<Error & { code?: unknown }> {
  let current: unknown = error;
  for (let link = 0; link < depth && current instanceof Error; link++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

/** A dependency does not answer: 503 with Retry-After, instead of hanging or dropping the connection. */
export class ServiceUnavailable extends ApiError {
  readonly status = 503;
  readonly code = 'service_unavailable';
  constructor(
    readonly dependency: Dependency,
    readonly retryAfterSeconds: number,
    message = `${dependency === 'temporal' ? 'The workflow service' : 'The database'} is unavailable; try again in ${retryAfterSeconds} s`,
  ) {
    super(message, { dependency });
  }
}

const postgresConnectionCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT']);
/** SQLSTATEs of a server going away or not accepting connections: admin_shutdown, crash_shutdown, cannot_connect_now, class 08. */
const postgresUnavailableStates = /^(57P01|57P02|57P03|08...)$/;

/**
 * A Postgres error that says the server is gone or restarting (not a bad query), anywhere in the
 * cause chain: drizzle wraps the driver's error in its own.
 */
export function isPostgresUnavailable(error: unknown): boolean {
  for (const { code } of causeChain(error)) {
    if (typeof code === 'string' && (postgresConnectionCodes.has(code) || postgresUnavailableStates.test(code))) return true;
  }
  return false;
}

/**
 * A call to Temporal that got no answer within its time: the client's own bound, because the SDK's
 * gRPC retries can sleep past a call's deadline.
 */
export class TemporalDidNotAnswer extends Error {
  override name = 'TemporalDidNotAnswer';
  constructor(readonly waitedMs: number) {
    super(`The Temporal server did not answer within ${waitedMs} ms`);
  }
}

/**
 * gRPC status codes of a Temporal server that does not answer: UNAVAILABLE (14: refused, reset,
 * no connection yet), DEADLINE_EXCEEDED (4: what a dead server ends in, once the SDK's retries
 * of UNAVAILABLE reach the call's deadline) and CANCELLED (1: `connection.withDeadline` cancels
 * the call at our own deadline, and can do so a moment before `bounded`'s timer says the same;
 * nothing else here cancels a Temporal call). The SDK wraps them in ServiceError or
 * WorkflowUpdateRPCTimeoutOrCancelledError, with the gRPC error as the cause.
 */
const temporalUnavailableStatuses = new Set([1, 4, 14]);

/** A Temporal client error that says the server does not answer (anywhere in the cause chain). */
export function isTemporalUnavailable(error: unknown): boolean {
  for (const link of causeChain(error)) {
    if (link instanceof TemporalDidNotAnswer) return true;
    if (typeof link.code === 'number' && temporalUnavailableStatuses.has(link.code)) return true;
    if (link.name === 'ServiceError' && /UNAVAILABLE|DEADLINE_EXCEEDED|ECONNREFUSED/.test(link.message)) return true;
  }
  return false;
}

/**
 * A Temporal call that never left this process: grpc-js had no connection to send it on (the
 * server refused it). Unlike a deadline, it says the server did nothing.
 */
export function isTemporalNeverSent(error: unknown): boolean {
  return [...causeChain(error)].some((link) => link.code === 14 && /No connection established/.test(link.message));
}

/** The 503 for an error that means a dependency is down, or undefined for any other error. */
export function unavailableError(error: unknown, retryAfterSeconds: number): ServiceUnavailable | undefined {
  if (error instanceof ServiceUnavailable) return error;
  if (isPostgresUnavailable(error)) return new ServiceUnavailable('postgres', retryAfterSeconds);
  if (isTemporalUnavailable(error)) return new ServiceUnavailable('temporal', retryAfterSeconds);
  return undefined;
}
