import { describe, expect, it } from 'vitest';
import {
  checkInFailures,
  Failure,
  failureOfReason,
  failures,
  failureTypeOf,
  INTERNAL_FAILURE_REASON,
  isReservationEnding,
  nonRetryableStepFailures,
  reasonOf,
  reservationEndingFailures,
  type FailureType,
} from '../../lib/failures.js';

const allTypes = Object.keys(failures) as FailureType[];

describe('the failure vocabulary', () => {
  it('names each failure type after itself, for ApplicationFailure types and retry policies', () => {
    expect(Object.keys(Failure).sort()).toEqual([...allTypes].sort());
    for (const type of allTypes) expect(Failure[type]).toBe(type);
  });

  it('answers each failure with a client or gateway error status and a snake_case code', () => {
    for (const type of allTypes) {
      const { status, code } = failures[type];
      expect(status, type).toBeGreaterThanOrEqual(400);
      expect(status, type).toBeLessThan(600);
      expect(code, type).toMatch(/^[a-z]+(_[a-z]+)*$/);
    }
  });

  it('gives the API statuses and codes it documents', () => {
    const answers = Object.fromEntries(allTypes.map((type) => [type, `${failures[type].status} ${failures[type].code}`]));
    expect(answers).toEqual({
      SeatsUnavailable: '409 seats_unavailable',
      SoldOut: '409 sold_out',
      PaymentDeclined: '402 payment_declined',
      EventNotOnSale: '409 event_not_on_sale',
      HoldLimitReached: '409 hold_limit_reached',
      TicketingFailed: '502 reservation_failed',
      PaymentUnavailable: '503 service_unavailable',
      ReservationClosed: '409 reservation_closed',
      HoldExpired: '410 hold_expired',
      NotPayable: '409 reservation_not_payable',
      EventStarted: '409 event_started',
      SeatsAvailable: '409 seats_available',
      NotCancellable: '409 reservation_not_cancellable',
      EventCancelled: '409 event_cancelled',
      BookingProtocolNotAllowed: '403 booking_protocol_not_allowed',
      TicketNotFound: '404 ticket_not_found',
      AlreadyCheckedIn: '409 already_checked_in',
      TicketVoid: '409 ticket_void',
      AdmissionRequired: '403 admission_required',
      AdmissionExpired: '410 admission_expired',
      QueueNotFound: '404 queue_not_found',
      QueuePlaceNotFound: '404 queue_place_not_found',
      QueueNotOpen: '409 queue_not_open',
      QueueAlreadyOpen: '409 queue_already_open',
      TwoPhaseCommitUnavailable: '502 reservation_failed',
    });
  });

  it('never gives two failures the same stored reason', () => {
    const reasons = allTypes.map((type) => reasonOf(type)).filter((reason) => reason !== INTERNAL_FAILURE_REASON);
    expect(new Set(reasons).size).toBe(reasons.length);
  });
});

describe('failureTypeOf', () => {
  it('recognizes every type of the vocabulary', () => {
    for (const type of allTypes) expect(failureTypeOf(type)).toBe(type);
  });

  it('reads the legacy EventClosed of old histories as EventNotOnSale', () => {
    expect(failureTypeOf('EventClosed')).toBe(Failure.EventNotOnSale);
  });

  it('knows nothing else: other types, inherited property names, case variants, nothing', () => {
    for (const other of ['Error', 'TimeoutError', 'eventNotOnSale', 'toString', 'constructor', '__proto__', 'hasOwnProperty', '']) {
      expect(failureTypeOf(other), other).toBeUndefined();
    }
    expect(failureTypeOf(undefined)).toBeUndefined();
    expect(failureTypeOf(null)).toBeUndefined();
  });
});

describe('reservation-ending failures', () => {
  it('are the seven a customer sees as the reason their reservation failed', () => {
    expect([...reservationEndingFailures].sort()).toEqual([Failure.EventNotOnSale, Failure.HoldLimitReached, Failure.PaymentDeclined, Failure.PaymentUnavailable, Failure.SeatsUnavailable, Failure.SoldOut, Failure.TicketingFailed].sort());
    for (const type of allTypes) expect(isReservationEnding(type), type).toBe((reservationEndingFailures as readonly string[]).includes(type));
    expect(isReservationEnding(undefined)).toBe(false);
  });

  it('each store a reason of their own that leads back to them', () => {
    for (const type of reservationEndingFailures) {
      const reason = reasonOf(type);
      expect(reason, type).not.toBe(INTERNAL_FAILURE_REASON);
      expect(failureOfReason(reason), reason).toBe(type);
    }
  });

  it('store the reasons the read model and the API know', () => {
    expect(reservationEndingFailures.map((type) => reasonOf(type))).toEqual(['seats_unavailable', 'sold_out', 'payment_declined', 'event_not_on_sale', 'hold_limit_reached', 'ticketing_failed', 'payment_unavailable']);
  });

  it('are never retried by a saga step, nor is a closed reservation or the legacy EventClosed', () => {
    for (const type of reservationEndingFailures) expect(nonRetryableStepFailures).toContain(type);
    expect(nonRetryableStepFailures).toContain(Failure.ReservationClosed);
    expect(nonRetryableStepFailures).toContain('EventClosed');
    expect(nonRetryableStepFailures).not.toContain(Failure.HoldExpired);
  });
});

describe('reasons', () => {
  it('are internal_error for a failure outside the vocabulary, and for failures that end no reservation', () => {
    expect(reasonOf(undefined)).toBe(INTERNAL_FAILURE_REASON);
    expect(reasonOf(Failure.HoldExpired)).toBe(INTERNAL_FAILURE_REASON);
    expect(reasonOf(Failure.ReservationClosed)).toBe(INTERNAL_FAILURE_REASON);
  });

  it('name a two-phase commit that cannot run, which is not a customer-facing ending', () => {
    expect(reasonOf(Failure.TwoPhaseCommitUnavailable)).toBe('two_phase_commit_unavailable');
    expect(failureOfReason('two_phase_commit_unavailable')).toBe(Failure.TwoPhaseCommitUnavailable);
    expect(isReservationEnding(Failure.TwoPhaseCommitUnavailable)).toBe(false);
  });

  it('lead back to no failure when internal, unknown or missing', () => {
    expect(failureOfReason(INTERNAL_FAILURE_REASON)).toBeUndefined();
    expect(failureOfReason('cosmic_rays')).toBeUndefined();
    expect(failureOfReason('')).toBeUndefined();
    expect(failureOfReason(null)).toBeUndefined();
    expect(failureOfReason(undefined)).toBeUndefined();
  });
});

describe('check-in failures', () => {
  it('are the ticket answers, none of which ends a reservation', () => {
    expect([...checkInFailures].sort()).toEqual([Failure.AlreadyCheckedIn, Failure.TicketNotFound, Failure.TicketVoid].sort());
    for (const type of checkInFailures) expect(isReservationEnding(type), type).toBe(false);
  });
});
