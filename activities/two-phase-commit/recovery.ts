import type postgres from 'postgres';
import type { Decisions } from './decisions.js';
import { parsePreparedId, participants, type Participant } from './ids.js';
import { isAlive } from './liveness.js';

/**
 * Resolves in-doubt transactions: every participant's transaction prepared more than `graceMs`
 * ago by a coordinator that is no longer alive is committed if its decision was "commit" and
 * rolled back otherwise (an "abort" is logged first, so that coordinator, should it come back,
 * can no longer commit it). Decisions logged but not carried out everywhere are carried out.
 * Safe to run anywhere, any time, by several workers at once.
 */
export function createRecovery(deps: { log: postgres.Sql; stores: Record<Participant, postgres.Sql> }, decisions: Decisions) {
  const { decide, complete } = decisions;
  return async function recover(graceMs: number): Promise<{ committed: string[]; rolledBack: string[] }> {
    const inDoubt = new Map<string, { reservationId: string; coordinators: Set<string> }>();
    for (const participant of participants) {
      const rows = await deps.stores[participant]<{ gid: string }[]>`
        SELECT gid FROM pg_prepared_xacts
        WHERE database = current_database() AND owner = current_user AND prepared < now() - ${graceMs} * interval '1 millisecond'`;
      for (const { gid } of rows) {
        const prepared = parsePreparedId(gid);
        if (!prepared || prepared.participant !== participant) continue;
        const entry = inDoubt.get(prepared.transactionId) ?? { reservationId: prepared.reservationId, coordinators: new Set<string>() };
        entry.coordinators.add(prepared.coordinatorId);
        inDoubt.set(prepared.transactionId, entry);
      }
    }
    const alive = new Map<string, boolean>();
    for (const [transactionId, entry] of inDoubt) {
      for (const id of entry.coordinators) if (!alive.has(id)) alive.set(id, await isAlive(deps.log, id));
      if ([...entry.coordinators].some((id) => alive.get(id))) inDoubt.delete(transactionId);
    }
    // A decision logged but not carried out everywhere (its coordinator died during phase 2).
    const unfinished = await deps.log<{ transaction_id: string; reservation_id: string }[]>`
      SELECT transaction_id, reservation_id FROM coordinator.decisions
      WHERE completed_at IS NULL AND decided_at < now() - ${graceMs} * interval '1 millisecond'`;
    for (const row of unfinished) inDoubt.set(row.transaction_id, { reservationId: row.reservation_id, coordinators: new Set() });

    const committed: string[] = [];
    const rolledBack: string[] = [];
    for (const [transactionId, { reservationId }] of inDoubt) {
      const outcome = await decide(transactionId, reservationId, 'abort', 'recovery');
      await complete(transactionId, outcome);
      (outcome === 'commit' ? committed : rolledBack).push(transactionId);
    }
    return { committed, rolledBack };
  };
}
