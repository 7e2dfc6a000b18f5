/**
 * Seat naming shared by the API, the activities and the workflows (pure: no I/O, deterministic).
 * Reserved seating: row letters A, B, ... and seat numbers from 1 ("C-7"). General admission: one
 * unit per ticket ("GA-1" ... "GA-<capacity>").
 */
export const MAX_ROWS = 26;
export const MAX_SEATS_PER_ROW = 100;
export const MAX_GENERAL_CAPACITY = 100_000;
export const MAX_SEATS_PER_RESERVATION = 10;

export const seatStatuses = ['available', 'held', 'sold'] as const;
export type SeatStatus = (typeof seatStatuses)[number];

export type Seating = { type: 'reserved'; rows: number; seatsPerRow: number } | { type: 'general'; capacity: number };

export function rowLetter(rowIndex: number): string {
  return String.fromCharCode('A'.charCodeAt(0) + rowIndex);
}

export function seatId(rowIndex: number, number: number): string {
  return `${rowLetter(rowIndex)}-${number}`;
}

export function capacityOf(seating: Seating): number {
  return seating.type === 'reserved' ? seating.rows * seating.seatsPerRow : seating.capacity;
}

/** Every seat or unit id of an event, in map order. */
export function allSeatIds(seating: Seating): string[] {
  if (seating.type === 'general') return Array.from({ length: seating.capacity }, (_, i) => `GA-${i + 1}`);
  const ids: string[] = [];
  for (let row = 0; row < seating.rows; row++) {
    for (let n = 1; n <= seating.seatsPerRow; n++) ids.push(seatId(row, n));
  }
  return ids;
}

export function parseSeatId(id: string): { row: string; number: number } | undefined {
  const match = /^([A-Z])-([1-9][0-9]*)$/.exec(id);
  if (!match?.[1] || !match[2]) return undefined;
  return { row: match[1], number: Number(match[2]) };
}

/** Seat ids that do not exist in this room. */
export function unknownSeatIds(seating: Seating, ids: readonly string[]): string[] {
  if (seating.type === 'general') return [...ids];
  return ids.filter((id) => {
    const parsed = parseSeatId(id);
    if (!parsed) return true;
    const row = parsed.row.charCodeAt(0) - 'A'.charCodeAt(0);
    return row >= seating.rows || parsed.number > seating.seatsPerRow;
  });
}
