import type { InvariantStores } from '../db/invariants.js';
import { businessRefusals } from './records.js';
import type { LoadResult } from './result.js';

/** What one fault cost, as `npm run experiment:chaos` reports it. */
export interface FaultOutcome {
  fault: string;
  summary: string;
  /** Milliseconds after the load began that the fault was injected, and how long it lasted. */
  injectedAtMs: number;
  faultMs: number;
  bookings: number;
  confirmed: number;
  /** Bookings that did not confirm for a reason other than a business refusal (seats taken, declined, ...). */
  failed: number;
  failedByReason: Record<string, number>;
  retries: number;
  /** From the dependency back (or the process killed) until every API answered /readyz 200; -1: not within the bound. */
  readyAgainMs: number;
  /** Longest a seat of the run's events stayed held (from the outbox: held → sold or available). */
  longestSeatBlockedMs: number;
  /** Bookings the client got an answer or a Location for that did not end in a final state. Must be 0. */
  lost: number;
  /** Bookings that never got any answer and whose key found nothing afterwards (never reached the server). */
  unanswered: number;
  restarts: Record<string, number>;
  invariantsOk: boolean;
  problems: string[];
}

/** Longest held interval of any seat of these events, from the outbox's seat changes in commit order. */
export async function longestSeatBlockedMs(stores: InvariantStores, eventIds: readonly string[]): Promise<number> {
  const [row] = await stores.booking<{ ms: number | null }[]>`
    WITH changes AS (
      SELECT o.event_id, o.id, o.created_at, change->>'id' AS seat, change->>'status' AS status
      FROM booking.outbox o, jsonb_array_elements(o.payload->'changes') change
      WHERE o.kind = 'seats' AND o.event_id = ANY(${[...eventIds]}::uuid[])
    ), spans AS (
      SELECT status, created_at, lead(created_at) OVER (PARTITION BY event_id, seat ORDER BY created_at, id) AS next FROM changes
    )
    SELECT max(extract(epoch FROM (coalesce(next, now()) - created_at)) * 1000)::float8 AS ms FROM spans WHERE status = 'held'`;
  return Math.round(row?.ms ?? 0);
}

/** Reservations of these events still pending or held once the run has settled: bookings the fault stranded. */
export async function strandedReservations(stores: InvariantStores, eventIds: readonly string[]): Promise<number> {
  const [row] = await stores.booking<{ n: number }[]>`SELECT count(*)::int AS n FROM booking.reservations WHERE event_id = ANY(${[...eventIds]}::uuid[]) AND status IN ('pending', 'held')`;
  return row?.n ?? 0;
}

export function bookingCounts(result: LoadResult): Pick<FaultOutcome, 'bookings' | 'confirmed' | 'failed' | 'failedByReason' | 'retries' | 'unanswered'> & { unresolvedWithAnswer: number } {
  const bookings = result.records.filter((record) => record.kind === 'reserve');
  const failedByReason: Record<string, number> = {};
  for (const record of bookings) {
    if (record.outcome === 'confirmed' || businessRefusals.has(record.errorCode ?? '')) continue;
    const reason = record.errorCode ?? 'unknown';
    failedByReason[reason] = (failedByReason[reason] ?? 0) + 1;
  }
  const unresolved = bookings.filter((record) => record.unresolved);
  return {
    bookings: bookings.length,
    confirmed: bookings.filter((record) => record.outcome === 'confirmed').length,
    failed: Object.values(failedByReason).reduce((sum, n) => sum + n, 0),
    failedByReason,
    retries: result.bookings.retries,
    unanswered: unresolved.filter((record) => !record.reservationId).length,
    unresolvedWithAnswer: unresolved.filter((record) => record.reservationId).length,
  };
}
