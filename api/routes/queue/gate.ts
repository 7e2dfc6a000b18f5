import type postgres from 'postgres';
import type { AdmissionTokens } from '../../admission-tokens.js';
import { DomainError } from '../../errors.js';
import { Failure } from '../../../lib/failures.js';
import { queueStore } from './store.js';

/**
 * The waiting room's gate on `POST /api/reservations` for an event with a queue: the booking needs
 * the caller's own admission (403 `admission_required`), still within its window (410
 * `admission_expired`). Checked before anything is written, so a refused booking changes nothing.
 */
export function admissionGate(sql: postgres.Sql, tokens: AdmissionTokens) {
  const store = queueStore(sql);
  return {
    async check(token: string | undefined, accountId: string, eventId: string): Promise<void> {
      const claims = await tokens.verify(token, { accountId, eventId });
      // The token alone is not enough: the place must still hold the admission (a lapsed turn has
      // passed to the next buyer even if the token's clock says otherwise).
      const place = await store.placeRow(eventId, accountId);
      if (!place || place.place !== claims.place) throw new DomainError(Failure.AdmissionRequired, 'This admission is no longer yours: join the queue');
      if (place.status === 'expired' || (place.expiresAt !== null && place.expiresAt.getTime() <= Date.now())) throw new DomainError(Failure.AdmissionExpired);
      if (place.status !== 'admitted' && place.status !== 'booked') throw new DomainError(Failure.AdmissionRequired, 'You have not been admitted yet: wait for your turn');
    },
    /** The booking went through: the turn is used (and its duration measured). */
    booked: (eventId: string, accountId: string, bookingMs: number): Promise<void> => store.markBooked(eventId, accountId, bookingMs),
  };
}
