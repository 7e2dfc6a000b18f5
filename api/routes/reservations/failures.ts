import { Failure, failureOfReason, failures } from '../../../lib/failures.js';
import type { ReservationSnapshot } from '../../../lib/reservations.js';
import { DomainError, ReservationFailed } from '../../errors.js';
import { presentSnapshot } from './presenters.js';

/** Turns a failed saga into the contract's error, from the vocabulary's entry for its reason; other outcomes pass. */
export function throwIfFailed(snapshot: ReservationSnapshot): void {
  if (snapshot.status !== 'failed') return;
  const reservation = presentSnapshot(snapshot);
  const type = failureOfReason(snapshot.failureReason);
  if (type === Failure.SeatsUnavailable) {
    const seats = snapshot.unavailableSeats ?? [];
    throw new DomainError(type, `${failures.SeatsUnavailable.message}: ${seats.join(', ')}`, { seats, reservation });
  }
  if (type) throw new DomainError(type, undefined, { reservation });
  throw new ReservationFailed(`The reservation failed (${snapshot.failureReason ?? 'unknown'}); nothing was charged`, { reservation });
}
