import { Failure, failureOfReason, failures } from '../../../lib/failures.js';
import type { Config } from '../../../lib/config.js';
import type { ReservationSnapshot } from '../../../lib/reservations.js';
import { DomainError, ReservationFailed } from '../../errors.js';
import { holdLimitReached } from './booking-rules.js';
import { presentSnapshot } from './presenters.js';

/** Turns a failed saga into the contract's error, from the vocabulary's entry for its reason; other outcomes pass. */
export function throwIfFailed(snapshot: ReservationSnapshot, cfg: Pick<Config, 'PAYMENT_BREAKER_HALF_OPEN_MS'>): void {
  if (snapshot.status !== 'failed') return;
  const reservation = presentSnapshot(snapshot);
  const type = failureOfReason(snapshot.failureReason);
  if (type === Failure.SeatsUnavailable) {
    const seats = snapshot.unavailableSeats ?? [];
    throw new DomainError(type, `${failures.SeatsUnavailable.message}: ${seats.join(', ')}`, { seats, reservation });
  }
  if (type === Failure.HoldLimitReached && snapshot.holdLimit) {
    throw holdLimitReached(snapshot.holdLimit, { reservation });
  }
  if (type === Failure.PaymentUnavailable) {
    // The worker's breaker lets a trial charge through at most this long after it opened. This
    // reservation is over (its Idempotency-Key answers the same again): a new booking is needed.
    const seconds = Math.ceil(cfg.PAYMENT_BREAKER_HALF_OPEN_MS / 1000);
    throw new DomainError(type, `${failures.PaymentUnavailable.message}; book again in ${seconds} s`, { reservation }, seconds);
  }
  if (type) throw new DomainError(type, undefined, { reservation });
  throw new ReservationFailed(`The reservation failed (${snapshot.failureReason ?? 'unknown'}); nothing was charged`, { reservation });
}
