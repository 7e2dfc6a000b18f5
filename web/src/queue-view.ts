import type { QueuePlace } from '../../api/contract/index.js';
import type { QueueMessage } from '../../api/live/protocol.js';
import { estimatedWaitSeconds, positionOf, type QueuePlaceStatus } from '../../lib/waiting-room.js';

/**
 * What the waiting room shows a buyer, computed from their place (fixed once drawn) and the one
 * broadcast per event (docs/waiting-room.md): no per-buyer message is needed for a move in the line.
 * Pure, so that the page and the tests read the same rules.
 */
export interface QueueStanding {
  /** The place's status, with what the broadcast already tells: sold out or closed for everyone still waiting. */
  status: QueuePlaceStatus | 'not_joined';
  /** While waiting: 1 is the next to be admitted. */
  position: number | null;
  /** While waiting: at the current rate; null without one (rate 0). Before the opening: until the draw. */
  estimatedWaitSeconds: number | null;
  /** While waiting: the share of the people ahead at the opening who have been let in (0 to 1). */
  progress: number | null;
  /** The broadcast says the line has reached this place, but the admission (its token) has not come yet. */
  turnReached: boolean;
  /** Places taken so far (from the broadcast), for "n of N". */
  total: number | null;
}

export function queueStanding(place: QueuePlace | undefined, broadcast: QueueMessage | undefined, now: number): QueueStanding {
  const none = { position: null, estimatedWaitSeconds: null, progress: null, turnReached: false, total: broadcast?.total ?? null };
  if (!place) return { status: 'not_joined', ...none };
  const waiting = place.status === 'waiting' || place.status === 'pre_queue';
  if (waiting && (broadcast?.state === 'sold_out' || broadcast?.state === 'closed')) return { status: broadcast.state, ...none };
  if (place.status === 'admitted' && place.admissionExpiresAt && Date.parse(place.admissionExpiresAt) <= now) return { status: 'expired', ...none };
  if (place.status === 'pre_queue') {
    return { status: 'pre_queue', ...none, estimatedWaitSeconds: Math.max(0, Math.ceil((Date.parse(place.opensAt) - now) / 1000)) };
  }
  if (place.status !== 'waiting' || place.place === null) return { status: place.status, ...none };
  if (!broadcast) {
    return { status: 'waiting', ...none, position: place.position, estimatedWaitSeconds: place.estimatedWaitSeconds, progress: place.position === null ? null : 0 };
  }
  const position = positionOf(place.place, broadcast.admittedThrough);
  return {
    status: 'waiting',
    position,
    estimatedWaitSeconds: estimatedWaitSeconds(position, broadcast.admitPerMinute),
    progress: Math.min(1, broadcast.admittedThrough / place.place),
    turnReached: broadcast.admittedThrough >= place.place,
    // A join after the last broadcast is already counted in our own place.
    total: Math.max(broadcast.total, place.place),
  };
}

/** "about 3 min", "about 40 s", "under 10 s". */
export function formatWait(seconds: number | null): string {
  if (seconds === null) return 'working it out…';
  if (seconds < 10) return 'under 10 s';
  if (seconds < 60) return `about ${Math.ceil(seconds / 10) * 10} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} min`;
  return `about ${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A countdown: "4:05", "0:09"; "1:02:03" past an hour. */
export function formatCountdown(milliseconds: number): string {
  const total = Math.max(0, Math.ceil(milliseconds / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}
