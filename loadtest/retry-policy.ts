/**
 * When a careful client asks again: the load script's one retry rule, pure so that it can be tested
 * without a server. A booking is retried only with its Idempotency-Key (the server then answers the
 * first attempt's reservation instead of making a second one), only for answers that say "not now"
 * (no HTTP answer, 5xx, 429), and never past the booking's own deadline.
 */

/** What the last attempt got. */
export type AttemptResult =
  | { kind: 'transport'; code: 'network_error' | 'client_timeout' }
  /** `ended`: the answer names a reservation that has ended (a 502 or 503 with its failed reservation): final for this key. */
  | { kind: 'answer'; status: number; retryAfter?: string; ended?: boolean };

export interface RetryInput {
  /** Attempts made so far (1 after the first). */
  attempts: number;
  result: AttemptResult;
  /** The request carries an Idempotency-Key: repeating it cannot book twice. */
  keyed: boolean;
  /** Milliseconds left before the booking's deadline. */
  leftMs: number;
  /** Epoch milliseconds, for a Retry-After given as an HTTP date. */
  nowEpochMs?: number;
}

export type RetryDecision = { retry: true; waitMs: number; reason: string } | { retry: false };

export const RETRY_BASE_MS = 200;
export const RETRY_MAX_WAIT_MS = 5000;
/** A server asking for longer than this is still asked again after this long: the client keeps its own bounds. */
export const RETRY_AFTER_CAP_MS = 10_000;
/** Bounded by count as well as by time. */
export const MAX_ATTEMPTS = 50;

/** Retry-After as seconds or an HTTP date → milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, nowEpochMs = Date.now()): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowEpochMs);
}

/** Statuses that say "not now" rather than "no": the same request may succeed later. */
export const isRetryableStatus = (status: number): boolean => status >= 500 || status === 429;

/** Exponential back-off without jitter (the load script's randomness is seeded elsewhere). */
export const backoffMs = (attempts: number): number => Math.min(RETRY_MAX_WAIT_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1));

export function decideRetry(input: RetryInput): RetryDecision {
  const { attempts, result, keyed, leftMs } = input;
  if (!keyed || attempts >= MAX_ATTEMPTS) return { retry: false };
  let waitMs: number;
  let reason: string;
  if (result.kind === 'transport') {
    waitMs = backoffMs(attempts);
    reason = result.code;
  } else {
    if (!isRetryableStatus(result.status) || result.ended) return { retry: false };
    const asked = retryAfterMs(result.retryAfter, input.nowEpochMs);
    waitMs = asked === undefined ? backoffMs(attempts) : Math.min(asked, RETRY_AFTER_CAP_MS);
    reason = `http_${result.status}`;
  }
  // Waiting past the deadline only to be cut off there would be a retry in name only.
  if (waitMs >= leftMs) return { retry: false };
  return { retry: true, waitMs, reason };
}
