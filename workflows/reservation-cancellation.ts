import { ActivityFailure, ApplicationFailure, CancellationScope, upsertSearchAttributes } from '@temporalio/workflow';
import { Failure } from '../lib/failures.js';
import type { CancellationRequest, CancellationResult } from '../lib/reservations.js';
import { chargeKeyOf } from '../lib/reservations.js';
import { ReservationStatusKey } from '../lib/search-attributes.js';
import { compensations } from './activity-presets.js';

/**
 * Cancels a reservation whose saga already confirmed and closed: void the tickets, refund the
 * payment, release the seats, in that order. Every step is idempotent, so running it again is safe.
 * A customer's cancellation carries `rules`: the ticket store then decides, in the statement that
 * voids, whether the reservation may still be cancelled (no ticket checked in, not past the
 * cut-off); if not, nothing is refunded or released and the reservation stays confirmed.
 */
export async function reservationCancellation(request: CancellationRequest): Promise<CancellationResult> {
  const { rules, ...record } = request;
  return CancellationScope.nonCancellable(async () => {
    try {
      await compensations.voidTickets({ reservationId: record.reservationId, ...(rules ? { rules } : {}) });
    } catch (error) {
      const refusal = error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === Failure.NotCancellable ? error.cause.message : undefined;
      if (refusal === undefined) throw error;
      return { status: 'confirmed', refundedCents: 0, refusal };
    }
    const refundedCents = await compensations.refundPayment({ reservationId: record.reservationId, chargeKey: chargeKeyOf(record.reservationId) });
    await compensations.releaseSeats({ request: record, status: 'cancelled', refundedCents });
    upsertSearchAttributes([{ key: ReservationStatusKey, value: 'cancelled' }]);
    return { status: 'cancelled', refundedCents };
  });
}
