import { describe, expect, it } from 'vitest';
import type { SeatMessage } from '../../db/channels.js';
import type { ServerMessage } from '../../api/live/protocol.js';
import { SeatMirror, type EventSnapshot } from '../../api/live/seat-mirror.js';

const eventId = '00000000-0000-4000-8000-000000000001';

/** Two rows of three seats: A-1 .. A-3, B-1 .. B-3. */
const reserved = (overrides: Partial<EventSnapshot> = {}): EventSnapshot => ({
  seating: { type: 'reserved', rows: 2, seatsPerRow: 3 },
  version: 5,
  held: 1,
  sold: 1,
  taken: [
    { id: 'A-2', status: 'held' },
    { id: 'B-3', status: 'sold' },
  ],
  ...overrides,
});

const general = (overrides: Partial<EventSnapshot> = {}): EventSnapshot => ({ seating: { type: 'general', capacity: 100 }, version: 3, held: 10, sold: 20, taken: [], ...overrides });

const seatMessage = (version: number, changes: SeatMessage['changes'] = [], counts: { held: number; sold: number } = { held: 1, sold: 1 }): SeatMessage => ({
  eventId,
  version,
  changes,
  ...counts,
});

const decode = (bytes: Buffer): ServerMessage => JSON.parse(bytes.toString()) as ServerMessage;

function mirrorOf(snapshot: EventSnapshot): SeatMirror {
  const mirror = new SeatMirror(eventId);
  mirror.install(snapshot);
  return mirror;
}

describe('SeatMirror snapshots', () => {
  it('lists every seat of a reserved room in map order, with the taken ones marked', () => {
    expect(decode(mirrorOf(reserved()).snapshot())).toEqual({
      type: 'snapshot',
      eventId,
      version: 5,
      available: 4,
      held: 1,
      sold: 1,
      seats: [
        { id: 'A-1', status: 'available' },
        { id: 'A-2', status: 'held' },
        { id: 'A-3', status: 'available' },
        { id: 'B-1', status: 'available' },
        { id: 'B-2', status: 'available' },
        { id: 'B-3', status: 'sold' },
      ],
    });
  });

  it('ignores taken seats that are not in the room', () => {
    const mirror = mirrorOf(reserved({ taken: [{ id: 'Z-9', status: 'sold' }], held: 0, sold: 0 }));
    const snapshot = decode(mirror.snapshot());
    expect(snapshot).toMatchObject({ available: 6 });
    expect(JSON.stringify(snapshot)).not.toContain('Z-9');
  });

  it('sends counts and capacity for general admission', () => {
    expect(decode(mirrorOf(general()).snapshot())).toEqual({ type: 'snapshot', eventId, version: 3, available: 70, held: 10, sold: 20, capacity: 100 });
  });

  it('encodes a snapshot once per version and again after a change', () => {
    const mirror = mirrorOf(reserved());
    const first = mirror.snapshot();
    expect(mirror.snapshot()).toBe(first);
    mirror.advance(seatMessage(6, [{ id: 'A-1', status: 'held' }], { held: 2, sold: 1 }));
    const second = mirror.snapshot();
    expect(second).not.toBe(first);
    expect(decode(second)).toMatchObject({ version: 6, held: 2, available: 3 });
  });

  it('a new install replaces the whole map', () => {
    const mirror = mirrorOf(reserved());
    mirror.install(reserved({ version: 9, taken: [], held: 0, sold: 0 }));
    expect(mirror.version).toBe(9);
    const snapshot = decode(mirror.snapshot());
    expect(snapshot).toMatchObject({ version: 9, available: 6 });
    expect(new Set((snapshot as { seats: { status: string }[] }).seats.map((seat) => seat.status))).toEqual(new Set(['available']));
  });
});

describe('SeatMirror versions', () => {
  it('applies the next version and returns the delta for the subscribers', () => {
    const mirror = mirrorOf(reserved());
    const step = mirror.advance(seatMessage(6, [{ id: 'A-1', status: 'sold' }], { held: 1, sold: 2 }));
    expect(step.outcome).toBe('applied');
    if (step.outcome !== 'applied') return;
    expect(decode(step.delta)).toEqual({ type: 'seats', eventId, version: 6, changes: [{ id: 'A-1', status: 'sold' }], available: 3, held: 1, sold: 2 });
    expect(mirror.version).toBe(6);
    expect(decode(mirror.snapshot())).toMatchObject({ seats: expect.arrayContaining([{ id: 'A-1', status: 'sold' }]) });
  });

  it('relays only counts for general admission', () => {
    const step = mirrorOf(general()).advance(seatMessage(4, [{ id: 'GA-1', status: 'held' }], { held: 11, sold: 20 }));
    expect(step.outcome).toBe('applied');
    if (step.outcome !== 'applied') return;
    expect(decode(step.delta)).toEqual({ type: 'availability', eventId, version: 4, available: 69, held: 11, sold: 20 });
  });

  it('drops a late duplicate and leaves the mirror as it was', () => {
    const mirror = mirrorOf(reserved());
    const before = mirror.snapshot();
    expect(mirror.advance(seatMessage(5, [{ id: 'A-1', status: 'sold' }]))).toEqual({ outcome: 'duplicate' });
    expect(mirror.advance(seatMessage(2))).toEqual({ outcome: 'duplicate' });
    expect(mirror.version).toBe(5);
    expect(mirror.snapshot()).toBe(before);
  });

  it('reports a gap and does not move', () => {
    const mirror = mirrorOf(reserved());
    expect(mirror.advance(seatMessage(7))).toEqual({ outcome: 'gap', expected: 6, got: 7 });
    expect(mirror.version).toBe(5);
  });

  it('moves exactly one version per message', () => {
    const mirror = mirrorOf(general({ version: 0, held: 0, sold: 0 }));
    for (let version = 1; version <= 50; version++) expect(mirror.advance(seatMessage(version, [], { held: version, sold: 0 })).outcome).toBe('applied');
    expect(mirror.version).toBe(50);
    expect(decode(mirror.snapshot())).toMatchObject({ available: 50, held: 50 });
  });
});

describe('SeatMirror catching up after a snapshot read', () => {
  it('applies what arrived during the read in version order, skipping what the snapshot holds', () => {
    const mirror = mirrorOf(reserved());
    const arrived = [
      seatMessage(7, [{ id: 'A-3', status: 'held' }], { held: 3, sold: 1 }),
      seatMessage(4),
      seatMessage(6, [{ id: 'A-1', status: 'held' }], { held: 2, sold: 1 }),
      seatMessage(5),
    ];
    expect(mirror.catchUp(arrived)).toBe(true);
    expect(mirror.version).toBe(7);
    expect(decode(mirror.snapshot())).toMatchObject({
      held: 3,
      seats: expect.arrayContaining([
        { id: 'A-1', status: 'held' },
        { id: 'A-3', status: 'held' },
      ]),
    });
  });

  it('tolerates the same version twice', () => {
    const mirror = mirrorOf(reserved());
    expect(mirror.catchUp([seatMessage(6), seatMessage(6), seatMessage(7)])).toBe(true);
    expect(mirror.version).toBe(7);
  });

  it('says so when a version in between is missing', () => {
    const mirror = mirrorOf(reserved());
    expect(mirror.catchUp([seatMessage(6), seatMessage(8)])).toBe(false);
    expect(mirror.version).toBe(6);
  });

  it('nothing newer is nothing to do', () => {
    const mirror = mirrorOf(reserved());
    expect(mirror.catchUp([])).toBe(true);
    expect(mirror.catchUp([seatMessage(3), seatMessage(5)])).toBe(true);
    expect(mirror.version).toBe(5);
  });
});
