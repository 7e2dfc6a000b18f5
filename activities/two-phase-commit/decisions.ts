import type postgres from 'postgres';
import type { DecisionOutcome } from '../../db/schema/coordinator.js';
import { parsePreparedId, participants, preparedIdOf, type Participant } from './ids.js';

export interface DecisionDeps {
  /** The decision log (coordinator schema), through the coordinator role. */
  log: postgres.Sql;
  /** Only its id: the gids this coordinator prepared carry it. */
  liveness: { id: string };
  /** Each participant's store, through its own role: only it may finish what it prepared. */
  stores: Record<Participant, postgres.Sql>;
}

const isMissingPrepared = (error: unknown): boolean => (error as { code?: string } | undefined)?.code === '42704';

const quote = (gid: string): string => `'${gid.replaceAll("'", "''")}'`;

/** The decision log and phase 2, shared by the coordinator and recovery. */
export function createDecisions(deps: DecisionDeps) {
  /**
   * Logs the decision unless one is logged already, and returns the one that stands. Recovery and
   * a late coordinator race on this insert; the first decision wins and is never changed.
   */
  async function decide(transactionId: string, reservationId: string, outcome: DecisionOutcome, decidedBy: 'coordinator' | 'recovery'): Promise<DecisionOutcome> {
    await deps.log`
      INSERT INTO coordinator.decisions (transaction_id, reservation_id, outcome, decided_by)
      VALUES (${transactionId}, ${reservationId}, ${outcome}, ${decidedBy})
      ON CONFLICT (transaction_id) DO NOTHING`;
    const [row] = await deps.log<{ outcome: DecisionOutcome }[]>`SELECT outcome FROM coordinator.decisions WHERE transaction_id = ${transactionId}`;
    if (!row) throw new Error(`decision for ${transactionId} vanished`);
    return row.outcome;
  }

  /** The participant's prepared transactions of `transactionId`, by whichever coordinator. */
  async function preparedBy(participant: Participant, transactionId: string): Promise<string[]> {
    const rows = await deps.stores[participant]<{ gid: string }[]>`
      SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND owner = current_user AND starts_with(gid, ${`${transactionId}:`})`;
    return rows.map((row) => row.gid).filter((gid) => parsePreparedId(gid)?.participant === participant);
  }

  /**
   * Applies the decision at every participant; idempotent (a finished one is no longer prepared).
   * The coordinator that prepared them names them; anyone else looks them up.
   */
  async function complete(transactionId: string, outcome: DecisionOutcome, own?: { lockedAt?: number }): Promise<void> {
    const verb = outcome === 'commit' ? 'COMMIT PREPARED' : 'ROLLBACK PREPARED';
    let lockHeldMs: number | undefined;
    // Booking first: its seat rows are what other bookings queue behind.
    for (const participant of participants) {
      const gids = own ? [preparedIdOf(transactionId, deps.liveness.id, participant)] : await preparedBy(participant, transactionId);
      for (const gid of gids) {
        try {
          await deps.stores[participant].unsafe(`${verb} ${quote(gid)}`);
        } catch (error) {
          if (!isMissingPrepared(error)) throw error;
        }
      }
      if (participant === 'booking' && own?.lockedAt !== undefined) lockHeldMs = Date.now() - own.lockedAt;
    }
    await deps.log`
      UPDATE coordinator.decisions SET completed_at = now(), lock_held_ms = coalesce(${lockHeldMs ?? null}::int, lock_held_ms)
      WHERE transaction_id = ${transactionId} AND completed_at IS NULL`;
  }

  return { decide, complete };
}

export type Decisions = ReturnType<typeof createDecisions>;
