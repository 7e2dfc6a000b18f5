import { describe, expect, it } from 'vitest';
import { allSeatIds, capacityOf, MAX_ROWS, parseSeatId, rowLetter, seatId, unknownSeatIds, type Seating } from '../../lib/seating.js';

describe('seat names', () => {
  it('letters rows from A, one letter per row up to Z', () => {
    expect(rowLetter(0)).toBe('A');
    expect(rowLetter(1)).toBe('B');
    expect(rowLetter(MAX_ROWS - 1)).toBe('Z');
  });

  it('names a seat by its row letter and its number from 1', () => {
    expect(seatId(0, 1)).toBe('A-1');
    expect(seatId(2, 7)).toBe('C-7');
    expect(seatId(25, 100)).toBe('Z-100');
  });

  it('reads back the seat names it writes, and nothing else', () => {
    expect(parseSeatId('C-7')).toEqual({ row: 'C', number: 7 });
    expect(parseSeatId(seatId(25, 100))).toEqual({ row: 'Z', number: 100 });
    for (const malformed of ['c-7', 'C-0', 'C-07', 'C7', 'CC-1', 'C-', '-7', 'GA-1', ' C-7']) expect(parseSeatId(malformed), malformed).toBeUndefined();
  });
});

describe('rooms', () => {
  const room = { type: 'reserved', rows: 2, seatsPerRow: 3 } as const satisfies Seating;

  it('lists reserved seats row by row, in map order', () => {
    expect(allSeatIds(room)).toEqual(['A-1', 'A-2', 'A-3', 'B-1', 'B-2', 'B-3']);
  });

  it('numbers general-admission units from GA-1', () => {
    expect(allSeatIds({ type: 'general', capacity: 3 })).toEqual(['GA-1', 'GA-2', 'GA-3']);
  });

  it('counts capacity as rows times seats, or the general-admission capacity', () => {
    expect(capacityOf(room)).toBe(6);
    expect(capacityOf({ type: 'reserved', rows: 12, seatsPerRow: 10 })).toBe(120);
    expect(capacityOf({ type: 'general', capacity: 10_000 })).toBe(10_000);
    expect(allSeatIds({ type: 'reserved', rows: 4, seatsPerRow: 9 })).toHaveLength(capacityOf({ type: 'reserved', rows: 4, seatsPerRow: 9 }));
  });

  it('finds the seats a room does not have: past the last row or seat, or not a seat name', () => {
    expect(unknownSeatIds(room, ['A-1', 'C-1', 'A-4', 'a-1', 'A-01', 'B-3'])).toEqual(['C-1', 'A-4', 'a-1', 'A-01']);
    expect(unknownSeatIds(room, allSeatIds(room))).toEqual([]);
  });

  it('knows no seat names in a general-admission event: units are assigned, never asked for', () => {
    expect(unknownSeatIds({ type: 'general', capacity: 5 }, ['GA-1', 'A-1'])).toEqual(['GA-1', 'A-1']);
    expect(unknownSeatIds({ type: 'general', capacity: 5 }, [])).toEqual([]);
  });
});
