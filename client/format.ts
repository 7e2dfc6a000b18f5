import { parseSeatId } from '../lib/seating.js';

export const formatMoney = (cents: number, currency: string): string => new Intl.NumberFormat('en', { style: 'currency', currency }).format(cents / 100);

export const formatDate = (iso: string): string => new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

/** Map order: by row letter, then seat number ("B-2" before "B-10"). */
export function bySeat(a: string, b: string): number {
  const seatA = parseSeatId(a);
  const seatB = parseSeatId(b);
  if (!seatA || !seatB) return a.localeCompare(b);
  return seatA.row === seatB.row ? seatA.number - seatB.number : seatA.row.localeCompare(seatB.row);
}

/** An error answer as one line: the server's message, then its code. */
export const describeRefusal = (body: { error?: string | undefined; message?: string | undefined }): string => `${body.message ?? 'Something went wrong.'}${body.error ? ` (${body.error})` : ''}`;
