import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countStranded, pickBestAvailable, roomOf, seatIdsOf, strandedSeats, takeBlocks, type RoomState, type SeatBlock } from '../../lib/best-available.js';

const room = (...rows: string[]): RoomState => ({ free: rows.map((row) => [...row].map((seat) => seat === '.')) });
const picked = (state: RoomState, n: number) => seatIdsOf(pickBestAvailable(state, n)?.blocks ?? []);

/** Generated rooms: up to 3 rows of up to 7 seats (small enough to try every subset), some seats taken. */
const rooms = fc
  .record({ rows: fc.integer({ min: 1, max: 3 }), seatsPerRow: fc.integer({ min: 1, max: 7 }) })
  .chain(({ rows, seatsPerRow }) => fc.array(fc.array(fc.boolean(), { minLength: seatsPerRow, maxLength: seatsPerRow }), { minLength: rows, maxLength: rows }))
  .map((free): RoomState => ({ free }));
const cases = rooms.chain((state) => fc.record({ state: fc.constant(state), n: fc.integer({ min: 1, max: 5 }) }));

const freeSeats = (state: RoomState) => state.free.flatMap((row, r) => row.flatMap((free, s) => (free ? [{ row: r, seat: s }] : [])));

/** The seats as maximal blocks of adjacent seats in a row. */
function blocksOfSeats(seats: { row: number; seat: number }[]): SeatBlock[] {
  const sorted = [...seats].sort((a, b) => a.row - b.row || a.seat - b.seat);
  const blocks: SeatBlock[] = [];
  for (const { row, seat } of sorted) {
    const last = blocks.at(-1);
    if (last && last.row === row && last.start + last.length === seat) last.length++;
    else blocks.push({ row, start: seat, length: 1 });
  }
  return blocks;
}

function* subsets<T>(items: T[], size: number, from = 0): Generator<T[]> {
  if (size === 0) {
    yield [];
    return;
  }
  for (let i = from; i <= items.length - size; i++) {
    for (const rest of subsets(items, size - 1, i + 1)) yield [items[i] as T, ...rest];
  }
}

/** Brute force: every way of seating n that the picker considers (one block, or two in one row or neighbouring rows). */
function* consideredPlacements(state: RoomState, n: number): Generator<SeatBlock[]> {
  for (const seats of subsets(freeSeats(state), n)) {
    const blocks = blocksOfSeats(seats);
    const rows = blocks.map((b) => b.row);
    if (blocks.length <= 2 && Math.max(...rows) - Math.min(...rows) <= 1) yield blocks;
  }
}

const strandedAfter = (state: RoomState, blocks: SeatBlock[]) => countStranded(takeBlocks(state, blocks)) - countStranded(state);

describe('the orphan rule', () => {
  it('counts a free seat between two taken seats, not one between a taken seat and the row end', () => {
    expect(strandedSeats([false, true, false, true, true])).toEqual([1]);
    expect(strandedSeats([true, false, true])).toEqual([]);
    expect(strandedSeats([true])).toEqual([]);
  });
});

describe('best available in an empty room', () => {
  const empty = roomOf({ rows: 12, seatsPerRow: 10 }, []);

  it('seats a party together in the front row, centred', () => {
    expect(picked(empty, 4)).toEqual(['A-4', 'A-5', 'A-6', 'A-7']);
    expect(picked(empty, 2)).toEqual(['A-5', 'A-6']);
  });

  it('breaks a tie between two equally central blocks by map order, every time', () => {
    expect(picked(empty, 3)).toEqual(['A-4', 'A-5', 'A-6']);
    expect(picked(empty, 3)).toEqual(picked(empty, 3));
  });

  it('gives nothing for more seats than the room has', () => {
    expect(pickBestAvailable(roomOf({ rows: 1, seatsPerRow: 3 }, []), 4)).toBeUndefined();
  });
});

describe('best available around taken seats', () => {
  it('goes a row back rather than strand a seat in the front row', () => {
    // Row A has 3 free seats between taken ones: any 2 of them strand the third.
    expect(picked(room('xxx...xxxx', '..........'), 2)).toEqual(['B-5', 'B-6']);
  });

  it('fills a gap its party fits exactly', () => {
    expect(picked(room('xxx..xxxxx', '..........'), 2)).toEqual(['A-4', 'A-5']);
  });

  it('splits a party over two neighbouring rows when no row has the seats together', () => {
    const pick = pickBestAvailable(room('xxxx..xxxx', 'xxxx..xxxx'), 4);
    expect(seatIdsOf(pick?.blocks ?? [])).toEqual(['A-5', 'A-6', 'B-5', 'B-6']);
    expect(pick?.score).toMatchObject({ blocks: 2, rowGap: 1, orphansCreated: 0 });
  });

  it('splits rather than strand a seat, and strands one only when nothing else fits', () => {
    // Together, 2 of a row's 3 free seats strand the third; one seat of each row, one behind the other, strands none.
    expect(picked(room('x...x', 'x...x'), 2)).toEqual(['A-2', 'B-2']);
    // A split that fills a stranded seat beats a block that strands one.
    expect(picked(room('x...x.x'), 2)).toEqual(['A-4', 'A-6']);
    const forced = pickBestAvailable(room('x...x'), 2);
    expect(forced?.score.orphansCreated).toBe(1);
  });

  it('seats the party anyhow when the free seats are scattered over the room', () => {
    const scattered = room('.x.x.', 'xxxxx', '.x.x.', 'xxxxx', '.x.x.');
    const seats = picked(scattered, 4);
    expect(seats).toHaveLength(4);
    expect(new Set(seats).size).toBe(4);
  });
});

describe('best available on generated rooms', () => {
  it('gives n distinct free seats exactly when the room has n free', () => {
    fc.assert(
      fc.property(cases, ({ state, n }) => {
        const pick = pickBestAvailable(state, n);
        if (freeSeats(state).length < n) return pick === undefined;
        const seats = pick?.blocks.flatMap((b) => Array.from({ length: b.length }, (_, i) => `${b.row}:${b.start + i}`)) ?? [];
        return seats.length === n && new Set(seats).size === n && (pick?.blocks ?? []).every((b) => Array.from({ length: b.length }, (_, i) => state.free[b.row]?.[b.start + i]).every(Boolean));
      }),
      { numRuns: 500 },
    );
  });

  it('strands no seat when some placement in one row or two neighbouring rows strands none', () => {
    fc.assert(
      fc.property(cases, ({ state, n }) => {
        const avoidable = [...consideredPlacements(state, n)].some((blocks) => strandedAfter(state, blocks) <= 0);
        const pick = pickBestAvailable(state, n);
        return !avoidable || (pick !== undefined && strandedAfter(state, pick.blocks) <= 0);
      }),
      { numRuns: 400 },
    );
  });

  it('seats the party together in one row when a row has them together without stranding a seat: fewest stranded, nearest the stage, then most central', () => {
    fc.assert(
      fc.property(cases, ({ state, n }) => {
        const together = [...consideredPlacements(state, n)].filter((blocks) => blocks.length === 1 && strandedAfter(state, blocks) <= 0);
        if (together.length === 0) return true;
        const pick = pickBestAvailable(state, n);
        if (pick?.blocks.length !== 1) return false;
        const centre = ((state.free[0]?.length ?? 0) - 1) / 2;
        const rank = (blocks: SeatBlock[]) => {
          const b = blocks[0] as SeatBlock;
          let distance = 0;
          for (let i = b.start; i < b.start + b.length; i++) distance += Math.abs(i - centre);
          return [strandedAfter(state, blocks), b.row, distance];
        };
        const mine = rank(pick.blocks);
        const worse = (other: number[]) => {
          for (let i = 0; i < mine.length; i++) if (other[i] !== mine[i]) return (other[i] as number) > (mine[i] as number);
          return true;
        };
        return together.every((blocks) => worse(rank(blocks)));
      }),
      { numRuns: 400 },
    );
  });

  it('splits a party only when that strands fewer seats than any block in one row would', () => {
    fc.assert(
      fc.property(cases, ({ state, n }) => {
        const together = [...consideredPlacements(state, n)].filter((blocks) => blocks.length === 1);
        if (together.length === 0) return true;
        const pick = pickBestAvailable(state, n);
        if (!pick) return false;
        if (pick.blocks.length === 1) return true;
        const fewestTogether = Math.min(...together.map((blocks) => strandedAfter(state, blocks)));
        return strandedAfter(state, pick.blocks) < fewestTogether && fewestTogether > 0;
      }),
      { numRuns: 400 },
    );
  });

  it('reports the seats it scored: the score’s stranded count is the room’s', () => {
    fc.assert(
      fc.property(cases, ({ state, n }) => {
        const pick = pickBestAvailable(state, n);
        return pick === undefined || pick.score.orphansCreated === strandedAfter(state, pick.blocks);
      }),
      { numRuns: 400 },
    );
  });
});

describe('best available in a large room', () => {
  it('seats ten in a full-size room where no row has three together', () => {
    const taken: string[] = [];
    const ids = roomOf({ rows: 26, seatsPerRow: 100 }, []);
    // Every third seat taken: no row has 3 together, so the split search runs in full.
    ids.free.forEach((row, r) => row.forEach((_, s) => s % 3 === 2 && taken.push(`${String.fromCharCode(65 + r)}-${s + 1}`)));
    const state = roomOf({ rows: 26, seatsPerRow: 100 }, taken);
    const pick = pickBestAvailable(state, 10);
    expect(pick?.blocks.reduce((sum, b) => sum + b.length, 0)).toBe(10);
    expect(pick?.score.orphansCreated).toBeLessThanOrEqual(0);
  });
});

describe('a 12 × 10 room filled by best available, buyer after buyer', () => {
  /** Seats every party in `sizes` in turn; each pick on the room the ones before left. */
  function fill(sizes: number[]) {
    let state = roomOf({ rows: 12, seatsPerRow: 10 }, []);
    const picks = sizes.map((n) => {
      const pick = pickBestAvailable(state, n);
      if (pick) state = takeBlocks(state, pick.blocks);
      return pick;
    });
    return { picks, state };
  }
  const orders = (sizes: number[]) => fc.shuffledSubarray(sizes, { minLength: sizes.length, maxLength: sizes.length });

  it('seats 40 parties of 2 or 3, in any order, each together in one row, and strands no seat', () => {
    const sizes = Array.from({ length: 40 }, (_, i) => 2 + (i % 2));
    fc.assert(
      fc.property(orders(sizes), (order) => {
        const { picks, state } = fill(order);
        return picks.every((pick) => pick?.blocks.length === 1) && countStranded(state) === 0;
      }),
      { numRuns: 300 },
    );
  });

  it('seats 40 parties of 1 to 4, in any order, and strands no seat', () => {
    const sizes = Array.from({ length: 40 }, (_, i) => 1 + (i % 4));
    fc.assert(
      fc.property(orders(sizes), (order) => {
        const { picks, state } = fill(order);
        return picks.every((pick, i) => pick?.blocks.reduce((sum, b) => sum + b.length, 0) === order[i]) && countStranded(state) === 0;
      }),
      { numRuns: 300 },
    );
  });
});
