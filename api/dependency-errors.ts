import { ApiError } from './errors.js';

export type Dependency = 'postgres' | 'temporal';

/** A dependency does not answer: 503 with Retry-After, instead of hanging or dropping the connection. */
export class ServiceUnavailable extends ApiError {
  readonly status = 503;
  readonly code = 'service_unavailable';
  constructor(
    readonly dependency: Dependency,
    readonly retryAfterSeconds: number,
    message = `${dependency === 'postgres' ? 'The database' : 'The workflow service'} is unavailable; try again in ${retryAfterSeconds} s`,
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
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (postgresConnectionCodes.has(code) || postgresUnavailableStates.test(code))) return true;
    current = (current as { cause?: unknown }).cause;
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
 * no connection yet) and DEADLINE_EXCEEDED (4: what a dead server ends in, once the SDK's retries
 * of UNAVAILABLE reach the call's deadline). The SDK wraps them in ServiceError or
 * WorkflowUpdateRPCTimeoutOrCancelledError, with the gRPC error as the cause.
 */
const temporalUnavailableStatuses = new Set([4, 14]);

/** A Temporal client error that says the server does not answer (anywhere in the cause chain). */
export function isTemporalUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof TemporalDidNotAnswer) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'number' && temporalUnavailableStatuses.has(code)) return true;
    if (current.name === 'ServiceError' && /UNAVAILABLE|DEADLINE_EXCEEDED|ECONNREFUSED/.test(current.message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * A Temporal call that never left this process: grpc-js had no connection to send it on (the
 * server refused it). Unlike a deadline, it says the server did nothing.
 */
export function isTemporalNeverSent(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if ((current as { code?: unknown }).code === 14 && /No connection established/.test(current.message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The 503 for an error that means a dependency is down, or undefined for any other error. */
export function unavailableError(error: unknown, retryAfterSeconds: number): ServiceUnavailable | undefined {
  if (error instanceof ServiceUnavailable) return error;
  if (isPostgresUnavailable(error)) return new ServiceUnavailable('postgres', retryAfterSeconds);
  if (isTemporalUnavailable(error)) return new ServiceUnavailable('temporal', retryAfterSeconds);
  return undefined;
}
