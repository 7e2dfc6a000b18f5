import { MAX_SEATS_PER_RESERVATION, seatId, type SeatStatus } from '../lib/seating.js';

/** How a seat is drawn: its colour and a letter of its own, so the map reads without colours too. */
export type Look = 'available' | 'held' | 'sold' | 'mine' | 'selected';

export const looks: Record<Look, { glyph: string; color: string; label: string }> = {
  available: { glyph: '.', color: 'green', label: 'free' },
  held: { glyph: 'h', color: 'yellow', label: 'held' },
  sold: { glyph: 'X', color: 'red', label: 'sold' },
  mine: { glyph: 'M', color: 'cyan', label: 'yours' },
  selected: { glyph: '+', color: 'magenta', label: 'picked' },
};

export function lookOf(status: SeatStatus, mine: boolean, selected: boolean): Look {
  if (selected) return 'selected';
  if (mine && status !== 'available') return 'mine';
  return status;
}

export interface Cursor {
  row: number;
  /** 0-based: seat number - 1. */
  column: number;
}

export interface Room {
  rows: number;
  seatsPerRow: number;
}

export type Direction = 'up' | 'down' | 'left' | 'right';

/** The cursor one step on, stopping at the room's edges. */
export function moveCursor(cursor: Cursor, direction: Direction, room: Room): Cursor {
  const clamp = (value: number, size: number) => Math.max(0, Math.min(size - 1, value));
  switch (direction) {
    case 'up':
      return { ...cursor, row: clamp(cursor.row - 1, room.rows) };
    case 'down':
      return { ...cursor, row: clamp(cursor.row + 1, room.rows) };
    case 'left':
      return { ...cursor, column: clamp(cursor.column - 1, room.seatsPerRow) };
    case 'right':
      return { ...cursor, column: clamp(cursor.column + 1, room.seatsPerRow) };
  }
}

export const seatAt = (cursor: Cursor): string => seatId(cursor.row, cursor.column + 1);

/** Space on a seat: pick a free one, drop a picked one; a refusal says why nothing changed. */
export function toggleSeat(selected: ReadonlySet<string>, id: string, status: SeatStatus): { selected: Set<string>; refusal?: string } {
  const next = new Set(selected);
  if (next.delete(id)) return { selected: next };
  if (status !== 'available') return { selected: next, refusal: `Seat ${id} is ${status}.` };
  if (next.size >= MAX_SEATS_PER_RESERVATION) return { selected: next, refusal: `At most ${MAX_SEATS_PER_RESERVATION} seats per booking.` };
  next.add(id);
  return { selected: next };
}

/** The test cards of the simulated gateway (README), in the order `t` goes through them. */
export const testCards = [
  { token: 'tok_visa', label: 'Visa (succeeds)' },
  { token: 'tok_declined', label: 'declined card' },
  { token: 'tok_flaky', label: 'flaky card (retried, then succeeds)' },
  { token: 'tok_slow', label: 'slow card' },
] as const;
