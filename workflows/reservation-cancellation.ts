import { CancellationScope, upsertSearchAttributes } from '@temporalio/workflow';
import type { CancellationResult, ReservationRecord } from '../lib/reservations.js';
import { chargeKeyOf } from '../lib/reservations.js';
import { ReservationStatusKey } from '../lib/search-attributes.js';
import { compensations } from './activity-presets.js';

/**
 * Cancels a reservation whose saga already confirmed and closed: void the tickets, refund the
 * payment, release the seats, in that order. Every step is idempotent, so running it again is safe.
 */
export async function reservationCancellation(request: ReservationRecord): Promise<CancellationResult> {
  return CancellationScope.nonCancellable(async () => {
    await compensations.voidTickets({ reservationId: request.reservationId });
    const refundedCents = await compensations.refundPayment({ reservationId: request.reservationId, chargeKey: chargeKeyOf(request.reservationId) });
    await compensations.releaseSeats({ request, status: 'cancelled', refundedCents });
    upsertSearchAttributes([{ key: ReservationStatusKey, value: 'cancelled' }]);
    return { status: 'cancelled', refundedCents };
  });
}
