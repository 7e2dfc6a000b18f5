/**
 * Best available: which n free seats of a reserved-seating room the house offers (pure and
 * deterministic; the seat-lock activity calls it, the unit tests generate rooms for it). The rules
 * are documented in docs/best-available.md; in short, every candidate placement gets a score, compared
 * field by field (lower is better):
 *
 * 1. `orphansCreated`: single free seats stranded between two taken seats in a row after the claim,
 *    minus those before it (filling a stranded seat counts -1). A seat between a taken seat and the
 *    row end is not stranded: a lone aisle seat still sells to a party of one.
 * 2. `blocks`: 1 when the party sits together in one row, 2 for a split into two blocks.
 * 3. `rowGap`: for a split, how many rows apart its blocks are (0 same row, 1 one behind the other).
 * 4. `rowTotal`: the sum of the seats' row indexes (row A, nearest the stage, is 0).
 * 5. `centreDistance`: the sum of the seats' distances from the centre of their row.
 * 6. `firstSeat`: the first seat in map order, so that equal scores pick the same seats every time.
 *
 * Candidates are every block of n adjacent free seats in one row and every split into two blocks in
 * one row or two neighbouring rows; if there is neither, the party is seated greedily, the longest
 * block that still fits first (each by the same score), so n free seats are always given when the
 * room has them.
 */

import { parseSeatId, seatId } from './seating.js';

/** The room: `free[row][seat]`, row 0 nearest the stage, seat 0 the first of the row. */
export interface RoomState {
  free: readonly (readonly boolean[])[];
}

export interface SeatBlock {
  row: number;
  /** Index of the first seat (0-based). */
  start: number;
  length: number;
}

export interface PickScore {
  orphansCreated: number;
  blocks: number;
  rowGap: number;
  rowTotal: number;
  centreDistance: number;
  firstSeat: number;
}

export interface BestAvailablePick {
  blocks: SeatBlock[];
  score: PickScore;
}

/** Longest split considered before seating greedily. */
const MAX_SPLIT_ROW_GAP = 1;

const scoreFields = ['orphansCreated', 'blocks', 'rowGap', 'rowTotal', 'centreDistance', 'firstSeat'] as const satisfies readonly (keyof PickScore)[];

/** Negative when `a` is the better placement. */
export function compareScores(a: PickScore, b: PickScore): number {
  for (const field of scoreFields) {
    if (a[field] !== b[field]) return a[field] - b[field];
  }
  return 0;
}

/** Stranded seats of one row: free, with a taken seat on each side (row ends do not strand). */
export function strandedSeats(row: readonly boolean[]): number[] {
  const stranded: number[] = [];
  for (let i = 1; i < row.length - 1; i++) {
    if (row[i] && !row[i - 1] && !row[i + 1]) stranded.push(i);
  }
  return stranded;
}

export const countStranded = (room: RoomState): number => room.free.reduce((sum, row) => sum + strandedSeats(row).length, 0);

/** The room after these blocks are taken. */
export function takeBlocks(room: RoomState, blocks: readonly SeatBlock[]): RoomState {
  const free = room.free.map((row) => [...row]);
  for (const block of blocks) {
    const row = free[block.row];
    if (!row) continue;
    for (let i = block.start; i < block.start + block.length; i++) row[i] = false;
  }
  return { free };
}

/** Change in stranded seats of one row when `blocks` (all in that row) are taken; looks only near them. */
function strandedDelta(row: readonly boolean[], blocks: readonly SeatBlock[]): number {
  const from = Math.max(1, Math.min(...blocks.map((b) => b.start)) - 1);
  const to = Math.min(row.length - 2, Math.max(...blocks.map((b) => b.start + b.length)));
  const takenByPick = (i: number) => blocks.some((b) => i >= b.start && i < b.start + b.length);
  const before = (i: number) => row[i] === true;
  const after = (i: number) => row[i] === true && !takenByPick(i);
  let delta = 0;
  for (let i = from; i <= to; i++) {
    if (before(i) && !before(i - 1) && !before(i + 1)) delta--;
    if (after(i) && !after(i - 1) && !after(i + 1)) delta++;
  }
  return delta;
}

function scoreOf(room: RoomState, blocks: readonly SeatBlock[]): PickScore {
  const seatsPerRow = room.free[0]?.length ?? 0;
  const centre = (seatsPerRow - 1) / 2;
  const byRow = new Map<number, SeatBlock[]>();
  for (const block of blocks) byRow.set(block.row, [...(byRow.get(block.row) ?? []), block]);
  let orphansCreated = 0;
  for (const [row, inRow] of byRow) orphansCreated += strandedDelta(room.free[row] ?? [], inRow);
  let rowTotal = 0;
  let centreDistance = 0;
  for (const block of blocks) {
    rowTotal += block.row * block.length;
    for (let i = block.start; i < block.start + block.length; i++) centreDistance += Math.abs(i - centre);
  }
  const rows = blocks.map((b) => b.row);
  return {
    orphansCreated,
    blocks: blocks.length,
    rowGap: Math.max(...rows) - Math.min(...rows),
    rowTotal,
    centreDistance,
    firstSeat: Math.min(...blocks.map((b) => b.row * seatsPerRow + b.start)),
  };
}

/** Every block of `length` adjacent free seats. */
function blocksOf(room: RoomState, length: number): SeatBlock[] {
  const found: SeatBlock[] = [];
  room.free.forEach((row, rowIndex) => {
    let run = 0;
    for (let i = 0; i < row.length; i++) {
      run = row[i] ? run + 1 : 0;
      if (run >= length) found.push({ row: rowIndex, start: i - length + 1, length });
    }
  });
  return found;
}

const overlapsOrTouches = (a: SeatBlock, b: SeatBlock) => a.row === b.row && a.start <= b.start + b.length && b.start <= a.start + a.length;

function best(room: RoomState, candidates: Iterable<SeatBlock[]>): BestAvailablePick | undefined {
  let winner: BestAvailablePick | undefined;
  for (const blocks of candidates) {
    const score = scoreOf(room, blocks);
    if (!winner || compareScores(score, winner.score) < 0) winner = { blocks, score };
  }
  return winner;
}

function* singles(room: RoomState, n: number): Generator<SeatBlock[]> {
  for (const block of blocksOf(room, n)) yield [block];
}

/** Two blocks of sizes a + b = n, in one row (apart: touching would be a single block) or neighbouring rows. */
function* splits(room: RoomState, n: number): Generator<SeatBlock[]> {
  for (let b = 1; b <= n / 2; b++) {
    const a = n - b;
    const larger = blocksOf(room, a);
    const smaller = a === b ? larger : blocksOf(room, b);
    for (const first of larger) {
      for (const second of smaller) {
        if (Math.abs(first.row - second.row) > MAX_SPLIT_ROW_GAP || overlapsOrTouches(first, second)) continue;
        // Equal sizes would meet each pair twice.
        if (a === b && first.row * 1000 + first.start > second.row * 1000 + second.start) continue;
        yield [first, second];
      }
    }
  }
}

const longestRun = (room: RoomState): number =>
  Math.max(
    0,
    ...room.free.map((row) => {
      let run = 0;
      let longest = 0;
      for (const seat of row) {
        run = seat ? run + 1 : 0;
        longest = Math.max(longest, run);
      }
      return longest;
    }),
  );

/** Nothing fits in one row or two neighbouring ones: the longest block that fits, best first, until seated. */
function greedy(room: RoomState, n: number): SeatBlock[] {
  const chosen: SeatBlock[] = [];
  let left = room;
  let remaining = n;
  while (remaining > 0) {
    const size = Math.min(remaining, longestRun(left));
    const pick = best(left, singles(left, size));
    if (!pick) break;
    chosen.push(...pick.blocks);
    left = takeBlocks(left, pick.blocks);
    remaining -= size;
  }
  return chosen;
}

/** The best n seats of the room by the score above, or undefined when it has fewer than n free. */
export function pickBestAvailable(room: RoomState, n: number): BestAvailablePick | undefined {
  if (n < 1) return undefined;
  const freeSeats = room.free.reduce((sum, row) => sum + row.filter(Boolean).length, 0);
  if (freeSeats < n) return undefined;
  const together = best(room, singles(room, n));
  if (together && together.score.orphansCreated <= 0) return together;
  const split = n > 1 ? best(room, splits(room, n)) : undefined;
  const candidates = [together, split].filter((pick): pick is BestAvailablePick => pick !== undefined);
  if (candidates.length > 0) return candidates.sort((a, b) => compareScores(a.score, b.score))[0];
  const blocks = greedy(room, n);
  return { blocks, score: scoreOf(room, blocks) };
}

/** The room of a reserved-seating event with these seats taken (seat ids like "C-7"). */
export function roomOf(seating: { rows: number; seatsPerRow: number }, taken: Iterable<string>): RoomState {
  const free = Array.from({ length: seating.rows }, () => Array.from({ length: seating.seatsPerRow }, () => true));
  for (const id of taken) {
    const parsed = parseSeatId(id);
    if (!parsed) continue;
    const row = free[parsed.row.charCodeAt(0) - 'A'.charCodeAt(0)];
    if (row && parsed.number <= row.length) row[parsed.number - 1] = false;
  }
  return { free };
}

/** The seat ids of a pick, in map order. */
export function seatIdsOf(blocks: readonly SeatBlock[]): string[] {
  return [...blocks]
    .sort((a, b) => a.row - b.row || a.start - b.start)
    .flatMap((block) => Array.from({ length: block.length }, (_, i) => seatId(block.row, block.start + i + 1)));
}
