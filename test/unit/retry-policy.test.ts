import { describe, expect, it } from 'vitest';
import { isUnresolved } from '../../loadtest/booking.js';
import { CHAOS_BEGIN, chaosSectionOf, withChaosSection } from '../../loadtest/chaos-report.js';
import type { RequestRecord } from '../../loadtest/records.js';
import { backoffMs, decideRetry, MAX_ATTEMPTS, RETRY_AFTER_CAP_MS, RETRY_MAX_WAIT_MS, retryAfterMs, type AttemptResult } from '../../loadtest/retry-policy.js';

const decide = (result: AttemptResult, overrides: { attempts?: number; keyed?: boolean; leftMs?: number } = {}) =>
  decideRetry({ attempts: overrides.attempts ?? 1, result, keyed: overrides.keyed ?? true, leftMs: overrides.leftMs ?? 60_000, nowEpochMs: 1_000_000 });

describe('the load script retry policy', () => {
  it('asks again with the same key after a network error, a timeout, a 5xx or a 429', () => {
    expect(decide({ kind: 'transport', code: 'network_error' })).toMatchObject({ retry: true, reason: 'network_error' });
    expect(decide({ kind: 'transport', code: 'client_timeout' })).toMatchObject({ retry: true, reason: 'client_timeout' });
    for (const status of [500, 502, 503, 504, 429]) expect(decide({ kind: 'answer', status })).toMatchObject({ retry: true, reason: `http_${status}` });
  });

  it('never repeats a request without an Idempotency-Key, nor a definite answer', () => {
    expect(decide({ kind: 'transport', code: 'network_error' }, { keyed: false })).toEqual({ retry: false });
    expect(decide({ kind: 'answer', status: 503 }, { keyed: false })).toEqual({ retry: false });
    for (const status of [200, 201, 202, 400, 401, 404, 409, 422]) expect(decide({ kind: 'answer', status })).toEqual({ retry: false });
  });

  it('takes a 5xx that names its failed reservation (payments unavailable) as the final answer for the key', () => {
    expect(decide({ kind: 'answer', status: 503, retryAfter: '2', ended: true })).toEqual({ retry: false });
    expect(decide({ kind: 'answer', status: 502, ended: true })).toEqual({ retry: false });
    expect(decide({ kind: 'answer', status: 503, retryAfter: '2' })).toMatchObject({ retry: true });
  });

  it("honours a 503's Retry-After, in seconds or as a date, capped", () => {
    expect(decide({ kind: 'answer', status: 503, retryAfter: '2' })).toMatchObject({ retry: true, waitMs: 2000 });
    expect(decide({ kind: 'answer', status: 503, retryAfter: new Date(1_000_000 + 3000).toUTCString() })).toMatchObject({ retry: true, waitMs: 3000 });
    expect(decide({ kind: 'answer', status: 503, retryAfter: '3600' })).toMatchObject({ retry: true, waitMs: RETRY_AFTER_CAP_MS });
    expect(decide({ kind: 'answer', status: 503, retryAfter: 'soon' }, { attempts: 3 })).toMatchObject({ retry: true, waitMs: backoffMs(3) });
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs('0.5')).toBe(500);
  });

  it('backs off exponentially up to a ceiling', () => {
    expect([1, 2, 3, 4].map(backoffMs)).toEqual([200, 400, 800, 1600]);
    expect(backoffMs(30)).toBe(RETRY_MAX_WAIT_MS);
  });

  it("stays inside the booking's deadline and its attempt count", () => {
    expect(decide({ kind: 'answer', status: 503, retryAfter: '5' }, { leftMs: 4000 })).toEqual({ retry: false });
    expect(decide({ kind: 'transport', code: 'network_error' }, { leftMs: 100 })).toEqual({ retry: false });
    expect(decide({ kind: 'transport', code: 'network_error' }, { attempts: MAX_ATTEMPTS })).toEqual({ retry: false });
  });
});

describe('which bookings stay unresolved until settle() asks again', () => {
  const record = (fields: Partial<RequestRecord>): RequestRecord => ({ seq: 1, kind: 'reserve', client: 0, eventId: 'e', seats: 1, start: 0, end: 1, latencyMs: 1, status: 201, outcome: 'failed', httpCalls: 1, ...fields });

  it('a lost answer or a 5xx with a key or an id, and a booking still pending', () => {
    expect(isUnresolved(record({ status: 0, errorCode: 'network_error', idempotencyKey: 'k' }))).toBe(true);
    expect(isUnresolved(record({ status: 503, errorCode: 'service_unavailable', idempotencyKey: 'k' }))).toBe(true);
    expect(isUnresolved(record({ status: 0, errorCode: 'client_timeout', reservationId: 'r' }))).toBe(true);
    expect(isUnresolved(record({ status: 202, errorCode: 'pending_timeout', reservationId: 'r' }))).toBe(true);
  });

  it('not a definite answer, nor an unkeyed request that never got one', () => {
    expect(isUnresolved(record({ outcome: 'confirmed', status: 201, idempotencyKey: 'k' }))).toBe(false);
    expect(isUnresolved(record({ status: 409, errorCode: 'seats_unavailable', idempotencyKey: 'k' }))).toBe(false);
    expect(isUnresolved(record({ status: 0, errorCode: 'network_error' }))).toBe(false);
  });
});

describe("the chaos experiment's section of faults.md", () => {
  it('is appended once, replaced on the next run, and kept by the other experiment', () => {
    const crash = '# Fault experiments\n\n| case |\n';
    const once = withChaosSection(crash, '## Faults under load\n\nfirst\n');
    expect(once.startsWith(crash.trimEnd())).toBe(true);
    const twice = withChaosSection(once, '## Faults under load\n\nsecond\n');
    expect(twice).toContain('second');
    expect(twice).not.toContain('first');
    expect(twice.split(CHAOS_BEGIN)).toHaveLength(2);
    expect(chaosSectionOf(twice)).toContain('second');
    expect(chaosSectionOf(crash)).toBe('');
  });
});
