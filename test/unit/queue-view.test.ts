import { describe, expect, it } from 'vitest';
import type { QueuePlace } from '../../api/contract/index.js';
import type { QueueMessage } from '../../api/live/protocol.js';
import { formatCountdown, formatWait, queueStanding } from '../../web/src/queue-view.js';

const opensAt = '2026-12-06T20:00:00.000Z';
const now = Date.parse(opensAt) + 60_000;
const place = (fields: Partial<QueuePlace>): QueuePlace => ({ eventId: 'e', status: 'waiting', place: 40, position: 40, estimatedWaitSeconds: null, joinedAt: opensAt, opensAt, ...fields });
const broadcast = (fields: Partial<QueueMessage>): QueueMessage => ({ type: 'queue', eventId: 'e', version: 3, state: 'open', admittedThrough: 0, total: 100, admitPerMinute: 60, opensAt, ...fields });

describe('the waiting room as the page shows it', () => {
  it('a waiting buyer works out position, wait and progress from the one broadcast', () => {
    expect(queueStanding(place({}), broadcast({ admittedThrough: 10, admitPerMinute: 60 }), now)).toEqual({ status: 'waiting', position: 30, estimatedWaitSeconds: 30, progress: 0.25, turnReached: false, total: 100 });
    // Nothing admitted yet: no basis for an estimate.
    expect(queueStanding(place({}), broadcast({ admitPerMinute: 0 }), now).estimatedWaitSeconds).toBeNull();
  });

  it('the line reaching the place before the admission message is the turn, not a position of 0', () => {
    expect(queueStanding(place({}), broadcast({ admittedThrough: 45 }), now)).toMatchObject({ status: 'waiting', position: 1, turnReached: true, progress: 1 });
  });

  it('sold out or closed in the broadcast ends the wait of everyone not admitted, not of an admitted buyer', () => {
    expect(queueStanding(place({}), broadcast({ state: 'sold_out' }), now).status).toBe('sold_out');
    expect(queueStanding(place({ status: 'pre_queue', place: null }), broadcast({ state: 'closed' }), now).status).toBe('closed');
    const admitted = place({ status: 'admitted', admissionToken: 't', admissionExpiresAt: new Date(now + 60_000).toISOString() });
    expect(queueStanding(admitted, broadcast({ state: 'sold_out' }), now).status).toBe('admitted');
  });

  it('an admission past its window shows as expired before the server says so', () => {
    expect(queueStanding(place({ status: 'admitted', admissionExpiresAt: new Date(now - 1).toISOString() }), undefined, now).status).toBe('expired');
  });

  it('before the opening the wait is the time to the draw; not joined is its own state', () => {
    expect(queueStanding(place({ status: 'pre_queue', place: null, position: null }), undefined, Date.parse(opensAt) - 90_500)).toMatchObject({ status: 'pre_queue', estimatedWaitSeconds: 91, position: null });
    expect(queueStanding(undefined, broadcast({}), now)).toMatchObject({ status: 'not_joined', total: 100 });
  });

  it('formats waits and countdowns for people', () => {
    expect([formatWait(null), formatWait(4), formatWait(41), formatWait(150), formatWait(4000)]).toEqual(['working it out…', 'under 10 s', 'about 50 s', 'about 3 min', 'about 1 h 7 min']);
    expect([formatCountdown(299_100), formatCountdown(9_000), formatCountdown(3_723_000), formatCountdown(-5)]).toEqual(['5:00', '0:09', '1:02:03', '0:00']);
  });
});
