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

/**
 * The Temporal visibility query for the run's workflows still running on one event. An event's
 * on-sale workflow (the waiting room's admissions, issue 14) runs as long as the sale does, not as
 * long as a booking: it is not something to settle.
 */
export const runningQuery = (eventId: string): string => `EventId="${eventId}" AND ExecutionStatus="Running" AND WorkflowType != "waitingRoom"`;

/** How long one look at Temporal's visibility may take: with the server down, its client retries for long. */
export const TEMPORAL_LIST_TIMEOUT_MS = 10_000;

export class TemporalTimeoutError extends Error {
  override name = 'TemporalTimeoutError';
}

/**
 * Reservation, cancellation and event-cancellation workflows of these events that have not closed.
 * Throws TemporalTimeoutError when Temporal has not answered within `timeoutMs`.
 */
export async function runningWorkflows(temporal: VerifierDeps['temporal'], eventIds: readonly string[], limit = 20, timeoutMs = TEMPORAL_LIST_TIMEOUT_MS): Promise<{ eventId: string; workflowIds: string[] }[]> {
  const list = async () => {
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
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TemporalTimeoutError(`Temporal did not list the workflows within ${timeoutMs} ms`)), timeoutMs);
  });
  const listing = list();
  // The abandoned call ends with the client's own retries; its error is not this caller's any more.
  listing.catch(() => {});
  try {
    return await Promise.race([listing, timeout]);
  } finally {
    clearTimeout(timer);
  }
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
  const problems: string[] = [];
  let violations: Violation[] = [];
  let running: { eventId: string; workflowIds: string[] }[] = [];
  let sold = new Map<string, number>();
  let checked = true;
  // A store that does not answer makes the check fail with a reason, not the run crash without a result.
  try {
    violations = await checkInvariants(deps.stores, { eventIds: [...eventIds], settled: true, readModel: true });
    sold = await soldInPostgres(deps.stores.booking, eventIds);
  } catch (error) {
    checked = false;
    problems.push(`Postgres did not answer the invariant check: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    running = await runningWorkflows(deps.temporal, eventIds);
  } catch (error) {
    checked = false;
    problems.push(`Temporal did not answer the check for running workflows: ${error instanceof Error ? error.message : String(error)}`);
  }
  const reconciliation = eventIds.map((eventId) => ({ eventId, expectedSold: expectedSold.get(eventId) ?? 0, soldInPostgres: sold.get(eventId) ?? 0 }));
  for (const violation of violations) problems.push(`invariant: ${violation.rule}: ${violation.detail}`);
  for (const { eventId, workflowIds } of running) problems.push(`event ${eventId}: ${workflowIds.length} workflow(s) still running: ${workflowIds.slice(0, 5).join(', ')}`);
  for (const row of reconciliation) {
    if (row.expectedSold !== row.soldInPostgres) {
      problems.push(`event ${row.eventId}: the run confirmed ${row.expectedSold} seat(s) but Postgres sold ${row.soldInPostgres}${exact ? '' : ' (some outcomes are unknown)'}`);
    }
  }
  const reconciled = reconciliation.every((row) => row.expectedSold === row.soldInPostgres);
  return { ok: checked && violations.length === 0 && running.length === 0 && (reconciled || !exact), violations, runningWorkflows: running, reconciliation, reconciliationExact: exact, problems };
}
