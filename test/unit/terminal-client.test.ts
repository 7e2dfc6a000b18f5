import { describe, expect, it } from 'vitest';
import { parseOptions, UsageError } from '../../client/options.js';
import { lookOf, looks, moveCursor, seatAt, toggleSeat } from '../../client/seat-grid.js';
import { nextStep } from '../../lib/feed-versions.js';
import { MAX_SEATS_PER_RESERVATION } from '../../lib/seating.js';

describe('terminal client: the seat grid', () => {
  const room = { rows: 3, seatsPerRow: 4 };

  it('moves the cursor with the arrows and stops at the room’s edges', () => {
    expect(moveCursor({ row: 0, column: 0 }, 'up', room)).toEqual({ row: 0, column: 0 });
    expect(moveCursor({ row: 0, column: 0 }, 'left', room)).toEqual({ row: 0, column: 0 });
    expect(moveCursor({ row: 0, column: 0 }, 'right', room)).toEqual({ row: 0, column: 1 });
    expect(moveCursor({ row: 2, column: 3 }, 'down', room)).toEqual({ row: 2, column: 3 });
    expect(moveCursor({ row: 2, column: 3 }, 'right', room)).toEqual({ row: 2, column: 3 });
    expect(moveCursor({ row: 1, column: 2 }, 'up', room)).toEqual({ row: 0, column: 2 });
    expect(seatAt({ row: 1, column: 2 })).toBe('B-3');
  });

  it('picks a free seat, drops a picked one, refuses a taken one and an eleventh', () => {
    const picked = toggleSeat(new Set(), 'A-1', 'available');
    expect([...picked.selected]).toEqual(['A-1']);
    expect(picked.refusal).toBeUndefined();
    expect([...toggleSeat(picked.selected, 'A-1', 'available').selected]).toEqual([]);
    const taken = toggleSeat(picked.selected, 'A-2', 'sold');
    expect([...taken.selected]).toEqual(['A-1']);
    expect(taken.refusal).toBe('Seat A-2 is sold.');
    const full = new Set(Array.from({ length: MAX_SEATS_PER_RESERVATION }, (_, index) => `A-${index + 1}`));
    const eleventh = toggleSeat(full, 'B-1', 'available');
    expect(eleventh.selected.size).toBe(MAX_SEATS_PER_RESERVATION);
    expect(eleventh.refusal).toContain(`At most ${MAX_SEATS_PER_RESERVATION}`);
  });

  it('draws each state with a letter of its own: picked over yours over the seat’s status', () => {
    expect(lookOf('available', false, false)).toBe('available');
    expect(lookOf('sold', false, false)).toBe('sold');
    expect(lookOf('held', true, false)).toBe('mine');
    expect(lookOf('available', true, false)).toBe('available');
    expect(lookOf('available', false, true)).toBe('selected');
    expect(new Set(Object.values(looks).map((look) => look.glyph)).size).toBe(Object.keys(looks).length);
  });
});

describe('terminal client: options', () => {
  it('takes the URL from the flag, else BOXOFFICE_URL, else the local API', () => {
    expect(parseOptions([], {}).baseUrl).toBe('http://localhost:3000');
    expect(parseOptions([], { BOXOFFICE_URL: 'http://api.test:8080/' }).baseUrl).toBe('http://api.test:8080');
    expect(parseOptions(['--url', 'https://box.example/base/'], { BOXOFFICE_URL: 'http://api.test:8080' }).baseUrl).toBe('https://box.example/base');
    expect(parseOptions(['--demo'], {})).toMatchObject({ demo: true });
    expect(parseOptions(['--email', 'a@b.test'], { BOXOFFICE_PASSWORD: 'secret' })).toMatchObject({ email: 'a@b.test', password: 'secret' });
  });

  it('refuses unknown flags, missing values and addresses that are not http', () => {
    expect(() => parseOptions(['--colour'], {})).toThrow(UsageError);
    expect(() => parseOptions(['--url'], {})).toThrow('--url needs a value');
    expect(() => parseOptions(['--url', 'ftp://x.test'], {})).toThrow(UsageError);
    expect(() => parseOptions(['--url', 'not a url'], {})).toThrow(UsageError);
    expect(() => parseOptions([], { BOXOFFICE_URL: 'nope' })).toThrow('BOXOFFICE_URL');
  });
});

describe('the live feed’s version rule', () => {
  it('applies the next version, ignores old ones, re-syncs on a gap or before a snapshot', () => {
    expect(nextStep(undefined, 1)).toBe('resync');
    expect(nextStep(4, 5)).toBe('apply');
    expect(nextStep(4, 4)).toBe('ignore');
    expect(nextStep(4, 3)).toBe('ignore');
    expect(nextStep(4, 6)).toBe('resync');
  });
});
