import type { Client } from '@temporalio/client';
import type postgres from 'postgres';
import { checkInvariants, readModelViolations, type InvariantStores, type Violation } from '../db/invariants.js';

/** What the run's own checks need: owner connections to every store and a Temporal client. */
export interface VerifierDeps {
  stores: InvariantStores;
  temporal: Pick<Client, 'workflow'>;
}

export interface Reconciliation {
  eventId: string;
  /** What the run confirmed and did not cancel (0 for an event it deleted). */
  expectedSold: number;
  soldInPostgres: number;
}

export interface Verification {
  ok: boolean;
  violations: Violation[];
  runningWorkflows: { eventId: string; workflowIds: string[] }[];
  reconciliation: Reconciliation[];
  /** False when some booking's outcome stayed unknown (no answer ever came): then a mismatch is expected. */
  reconciliationExact: boolean;
  problems: string[];
}

/** The Temporal visibility query for the run's workflows still running on one event. */
export const runningQuery = (eventId: string): string => `EventId="${eventId}" AND ExecutionStatus="Running"`;

/** Reservation, cancellation and event-cancellation workflows of these events that have not closed. */
export async function runningWorkflows(temporal: VerifierDeps['temporal'], eventIds: readonly string[], limit = 20): Promise<{ eventId: string; workflowIds: string[] }[]> {
  const found: { eventId: string; workflowIds: string[] }[] = [];
  for (const eventId of eventIds) {
    const workflowIds: string[] = [];
    for await (const execution of temporal.workflow.list({ query: runningQuery(eventId), pageSize: limit })) {
      workflowIds.push(execution.workflowId);
      if (workflowIds.length >= limit) break;
    }
    if (workflowIds.length > 0) found.push({ eventId, workflowIds });
  }
  return found;
}

/** Seats (and availability counts) on which the read model still differs from the booking store. */
export async function readModelLag(stores: InvariantStores, eventIds: readonly string[]): Promise<number> {
  return (await readModelViolations(stores, [...eventIds])).length;
}

export async function soldInPostgres(sql: postgres.Sql, eventIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await sql<{ event_id: string; sold: number }[]>`
    SELECT event_id, count(*)::int AS sold FROM booking.seats WHERE event_id = ANY(${[...eventIds]}::uuid[]) AND status = 'sold' GROUP BY event_id`;
  return new Map(rows.map((row) => [row.event_id, row.sold]));
}

/**
 * The end-of-run check: every invariant of db/invariants.ts over the run's events (settled, read
 * model caught up), no workflow of theirs still running, and Postgres selling exactly what the run
 * was told it bought.
 */
export async function verifyRun(deps: VerifierDeps, eventIds: readonly string[], expectedSold: Map<string, number>, exact: boolean): Promise<Verification> {
  const violations = await checkInvariants(deps.stores, { eventIds: [...eventIds], settled: true, readModel: true });
  const running = await runningWorkflows(deps.temporal, eventIds);
  const sold = await soldInPostgres(deps.stores.booking, eventIds);
  const reconciliation = eventIds.map((eventId) => ({ eventId, expectedSold: expectedSold.get(eventId) ?? 0, soldInPostgres: sold.get(eventId) ?? 0 }));
  const problems: string[] = [];
  for (const violation of violations) problems.push(`invariant: ${violation.rule}: ${violation.detail}`);
  for (const { eventId, workflowIds } of running) problems.push(`event ${eventId}: ${workflowIds.length} workflow(s) still running: ${workflowIds.slice(0, 5).join(', ')}`);
  for (const row of reconciliation) {
    if (row.expectedSold !== row.soldInPostgres) {
      problems.push(`event ${row.eventId}: the run confirmed ${row.expectedSold} seat(s) but Postgres sold ${row.soldInPostgres}${exact ? '' : ' (some outcomes are unknown)'}`);
    }
  }
  const reconciled = reconciliation.every((row) => row.expectedSold === row.soldInPostgres);
  return { ok: violations.length === 0 && running.length === 0 && (reconciled || !exact), violations, runningWorkflows: running, reconciliation, reconciliationExact: exact, problems };
}
