import { parseSeatId } from '../../lib/seating.js';

export const formatDate = (iso: string): string => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export const formatMoney = (cents: number, currency: string): string => new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);

/** Map order: by row letter, then seat number ("B-2" before "B-10"). */
export function bySeat(a: string, b: string): number {
  const seatA = parseSeatId(a);
  const seatB = parseSeatId(b);
  if (!seatA || !seatB) return a.localeCompare(b);
  return seatA.row === seatB.row ? seatA.number - seatB.number : seatA.row.localeCompare(seatB.row);
}
