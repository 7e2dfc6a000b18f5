import { describe, expect, it } from 'vitest';
import { ApiError, DomainError, ReservationFailed, ValidationFailed } from '../../api/errors.js';
import { Failure, failures, type FailureType } from '../../lib/failures.js';

const allTypes = Object.keys(failures) as FailureType[];

describe('DomainError', () => {
  it('answers every failure of the vocabulary with its status and code', () => {
    for (const type of allTypes) {
      const error = new DomainError(type);
      expect({ type: error.type, status: error.status, code: error.code }, type).toEqual({ type, status: failures[type].status, code: failures[type].code });
    }
  });

  it('answers a declined card 402 payment_declined and a cancelled event 409 event_not_on_sale', () => {
    expect(new DomainError(Failure.PaymentDeclined)).toMatchObject({ status: 402, code: 'payment_declined' });
    expect(new DomainError(Failure.EventNotOnSale)).toMatchObject({ status: 409, code: 'event_not_on_sale' });
    expect(new DomainError(Failure.HoldExpired)).toMatchObject({ status: 410, code: 'hold_expired' });
  });

  it("says the vocabulary's message unless given one, and keeps the details", () => {
    expect(new DomainError(Failure.SoldOut).message).toBe(failures.SoldOut.message);
    expect(new DomainError(Failure.SoldOut, undefined, { left: 2 })).toMatchObject({ message: failures.SoldOut.message, details: { left: 2 } });
    expect(new DomainError(Failure.TicketNotFound, 'No ticket T-1').message).toBe('No ticket T-1');
  });

  it('is an ApiError named DomainError, so the error middleware answers it', () => {
    const error = new DomainError(Failure.NotPayable);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('DomainError');
  });
});

describe('protocol errors', () => {
  it('keep statuses and codes of their own, beside the vocabulary', () => {
    expect(new ValidationFailed('bad')).toMatchObject({ status: 400, code: 'validation_failed', name: 'ValidationFailed' });
    expect(new ReservationFailed('down')).toMatchObject({ status: 502, code: 'reservation_failed', name: 'ReservationFailed' });
  });
});
