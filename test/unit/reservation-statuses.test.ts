import { describe, expect, it } from 'vitest';
import { closedStatuses, isClosed, isTerminal, openStatuses, reservationStatuses, terminalStatuses, type ReservationStatus } from '../../lib/reservations.js';

const sorted = (statuses: readonly ReservationStatus[]): ReservationStatus[] => [...statuses].sort();

describe('reservation statuses', () => {
  it('are six, each named once', () => {
    expect(sorted(reservationStatuses)).toEqual(['cancelled', 'confirmed', 'expired', 'failed', 'held', 'pending']);
    expect(new Set(reservationStatuses).size).toBe(reservationStatuses.length);
  });

  it('end in confirmed, failed, expired or cancelled; pending and held still move', () => {
    expect(sorted(terminalStatuses)).toEqual(['cancelled', 'confirmed', 'expired', 'failed']);
    expect(reservationStatuses.filter((status) => !isTerminal(status))).toEqual(['pending', 'held']);
  });

  it('count as closed (a tombstone a late seat-lock respects) exactly when they ended without a sale', () => {
    expect(reservationStatuses.filter(isClosed)).toEqual(['failed', 'expired', 'cancelled']);
    expect(isClosed('confirmed')).toBe(false);
    for (const status of closedStatuses) expect(isTerminal(status), status).toBe(true);
  });

  it('split into open and closed, with nothing in both and nothing left out', () => {
    const open = new Set<ReservationStatus>(openStatuses);
    const closed = new Set<ReservationStatus>(closedStatuses);
    expect(openStatuses.filter((status) => closed.has(status))).toEqual([]);
    expect(sorted([...openStatuses, ...closedStatuses])).toEqual(sorted(reservationStatuses));
    expect(reservationStatuses.filter((status) => open.has(status) === isClosed(status))).toEqual([]);
  });

  it('leave an event cancellation to undo what is pending, held or sold', () => {
    expect(openStatuses).toEqual(['pending', 'held', 'confirmed']);
    // Confirmed is both: nothing moves it on, yet cancelling the event must refund it.
    expect(terminalStatuses.filter((status) => (openStatuses as readonly string[]).includes(status))).toEqual(['confirmed']);
  });
});
