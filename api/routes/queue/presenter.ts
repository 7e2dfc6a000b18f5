import type { QueuePlace } from '../../contract/index.js';
import type { AdmissionTokens } from '../../admission-tokens.js';
import { estimatedWaitSeconds, positionOf, type QueuePlaceStatus } from '../../../lib/waiting-room.js';
import type { PlaceRow, QueueRow } from './store.js';

/**
 * A place as the contract shows it (api/contract/queue.ts). An admission whose window has ended
 * shows as `expired` even before the workflow's next tick records it; an admitted place carries
 * its admission token, signed here (the same for every API process: no issue time).
 */
export async function presentPlace(place: PlaceRow, queue: Pick<QueueRow, 'admittedThrough' | 'ratePerMinute'>, opensAt: Date, tokens: AdmissionTokens, now = Date.now()): Promise<QueuePlace> {
  const lapsed = place.status === 'admitted' && place.expiresAt !== null && place.expiresAt.getTime() <= now;
  const status: QueuePlaceStatus = lapsed ? 'expired' : place.status;
  const position = status === 'waiting' && place.place !== null ? positionOf(place.place, queue.admittedThrough) : null;
  const estimate =
    position !== null ? estimatedWaitSeconds(position, queue.ratePerMinute) : status === 'pre_queue' ? Math.max(0, Math.ceil((opensAt.getTime() - now) / 1000)) : null;
  const answer: QueuePlace = {
    eventId: place.eventId,
    status,
    place: place.place,
    position,
    estimatedWaitSeconds: estimate,
    joinedAt: place.joinedAt.toISOString(),
    opensAt: opensAt.toISOString(),
  };
  if (place.expiresAt && (status === 'admitted' || status === 'booked' || status === 'expired')) answer.admissionExpiresAt = place.expiresAt.toISOString();
  if (status === 'admitted' && place.expiresAt && place.place !== null) {
    answer.admissionToken = await tokens.issue({ accountId: place.accountId, eventId: place.eventId, place: place.place, expiresAt: place.expiresAt });
  }
  return answer;
}
