import type { InvariantStores } from '../db/invariants.js';
import { latencyStats, type LatencyStats } from './stats.js';

/**
 * What the saga and two-phase commit cost other readers and writers (docs/saga-vs-2pc.md): seat
 * lock waits, how long a saga's half-done state was visible, how long a
 * two-phase transaction kept its seat rows locked.
 */
export interface ContentionReport {
  /**
   * Every seat claim (won or lost), from the booking outbox: how long it took to lock the seat
   * rows, waiting behind other transactions included.
   */
  seatLocks: { claims: number; wait: LatencyStats; waitTotalMs: number };
  /**
   * Readers saw seats held for a reservation not yet confirmed (or about to be released): per
   * reservation, from its seats' hold to their sale or release, from the booking outbox. Zero
   * reservations under two-phase commit, which has no such state.
   */
  intermediateStates: { reservations: number; visible: LatencyStats; visibleTotalMs: number };
  /** Two-phase commit only, from the coordinator's decision log. */
  twoPhase?: { transactions: number; committed: number; aborted: number; recovered: number; lockHeld: LatencyStats };
}

/** After the run: intermediate states from the booking outbox, lock times from the decision log. */
export async function measureContention(stores: InvariantStores, eventIds: readonly string[]): Promise<ContentionReport> {
  const ids = [...eventIds];
  const spans = await stores.booking<{ visible_ms: number }[]>`
    WITH changes AS (
      SELECT payload->>'reservationId' AS reservation_id, created_at, change->>'status' AS status
      FROM booking.outbox, jsonb_array_elements(payload->'changes') AS change
      WHERE kind = 'seats' AND event_id = ANY(${ids}::uuid[])
    )
    SELECT extract(epoch FROM min(created_at) FILTER (WHERE status <> 'held') - min(created_at) FILTER (WHERE status = 'held')) * 1000 AS visible_ms
    FROM changes GROUP BY reservation_id
    HAVING min(created_at) FILTER (WHERE status = 'held') IS NOT NULL AND min(created_at) FILTER (WHERE status <> 'held') IS NOT NULL`;
  const visible = spans.map((span) => Number(span.visible_ms));
  const waits = (
    await stores.booking<{ wait_ms: number }[]>`
      SELECT (payload->>'lockWaitMs')::int AS wait_ms FROM booking.outbox WHERE event_id = ANY(${ids}::uuid[]) AND payload ? 'lockWaitMs'`
  ).map((row) => row.wait_ms);
  const report: ContentionReport = {
    seatLocks: { claims: waits.length, wait: latencyStats(waits), waitTotalMs: waits.reduce((sum, ms) => sum + ms, 0) },
    intermediateStates: { reservations: visible.length, visible: latencyStats(visible), visibleTotalMs: Math.round(visible.reduce((sum, ms) => sum + ms, 0)) },
  };

  const reservations = (await stores.booking<{ id: string }[]>`SELECT id FROM booking.reservations WHERE event_id = ANY(${ids}::uuid[])`).map((row) => row.id);
  const decisions = await stores.shared<{ outcome: string; decided_by: string; lock_held_ms: number | null }[]>`
    SELECT outcome, decided_by, lock_held_ms FROM coordinator.decisions WHERE reservation_id = ANY(${reservations}::uuid[])`;
  if (decisions.length > 0) {
    report.twoPhase = {
      transactions: decisions.length,
      committed: decisions.filter((row) => row.outcome === 'commit').length,
      aborted: decisions.filter((row) => row.outcome === 'abort').length,
      recovered: decisions.filter((row) => row.decided_by === 'recovery').length,
      lockHeld: latencyStats(decisions.map((row) => row.lock_held_ms).filter((value): value is number => value !== null)),
    };
  }
  return report;
}
