import { describe, expect, it } from 'vitest';
import { DomainError, ReservationFailed } from '../../api/errors.js';
import { throwIfFailed } from '../../api/routes/reservations/failures.js';
import { Failure, reasonOf } from '../../lib/failures.js';
import type { ReservationSnapshot } from '../../lib/reservations.js';

const snapshot = (overrides: Partial<ReservationSnapshot>): ReservationSnapshot => ({
  id: '00000000-0000-4000-8000-000000000001',
  workflowId: 'reservation-00000000-0000-4000-8000-000000000001',
  status: 'failed',
  eventId: '00000000-0000-4000-9000-000000000001',
  customerId: '00000000-0000-4000-8000-000000000002',
  seating: 'reserved',
  seats: ['A-1'],
  quantity: 1,
  amountCents: 2000,
  currency: 'EUR',
  refundedCents: 0,
  tickets: [],
  requestHash: 'hash',
  ...overrides,
});

const cfg = { PAYMENT_BREAKER_HALF_OPEN_MS: 4_500 };
const thrown = (value: ReservationSnapshot): unknown => {
  try {
    throwIfFailed(value, cfg);
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('the answer to a failed reservation', () => {
  it('is 503 service_unavailable with Retry-After (the half-open delay, in whole seconds) while payments are unavailable', () => {
    const error = thrown(snapshot({ failureReason: reasonOf(Failure.PaymentUnavailable) }));
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ status: 503, code: 'service_unavailable', retryAfterSeconds: 5 });
    expect((error as DomainError).message).toMatch(/^Payments are unavailable.*nothing was charged.*book again in 5 s$/);
    expect((error as DomainError).details).toMatchObject({ reservation: { status: 'failed', failureReason: 'payment_unavailable' } });
  });

  it('carries no Retry-After for the other endings, and passes reservations that did not fail', () => {
    expect(thrown(snapshot({ failureReason: reasonOf(Failure.PaymentDeclined) }))).toMatchObject({ status: 402, retryAfterSeconds: undefined });
    expect(thrown(snapshot({ failureReason: 'internal_error' }))).toBeInstanceOf(ReservationFailed);
    expect(thrown(snapshot({ status: 'confirmed' }))).toBeUndefined();
  });
});
