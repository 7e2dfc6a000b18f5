import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { InvariantStores } from '../db/invariants.js';
import { sampleApiMemory } from './api-memory.js';
import { runClosedClients, runOpenArrivals } from './clients.js';
import { runEventChurn } from './event-churn.js';
import { ApiClient } from './http-client.js';
import { measureContention } from './contention.js';
import { createOnSaleEvent, OnSale } from './onsale.js';
import { verifyRun, type VerifierDeps } from './invariants.js';
import { Ledger } from './ledger.js';
import type { LoadOptions } from './options.js';
import { startProgress, type ProgressStream } from './progress.js';
import { Random } from './random.js';
import type { RequestRecord } from './records.js';
import type { LoadResult, SameRequestFindings } from './result.js';
import { RunContext } from './run-context.js';
import { settle } from './settle.js';
import { organizerAccount, prepareEvents, provisionCustomers } from './setup.js';
import { latencyBins, summarizeBookings, summarizeOperations, timeline } from './stats.js';

export interface LoadDeps extends VerifierDeps {
  /** Where the live progress line goes (the CLI: stderr); none in tests. */
  progress?: ProgressStream;
  /** One-line notes on what the run is doing. */
  log?: (line: string) => void;
  /** Called when the setup is done and the load begins (an experiment times its faults from here). */
  onLoadStart?: () => void;
  /** Called when the last client has stopped, before settling (a benchmark ends its CPU window here). */
  onLoadEnd?: () => void;
}

/** How often the run checks its deadline and the sell-out. */
const TICK_MS = 20;

/**
 * One load run against a running stack: set up accounts and events, drive the HTTP API, let
 * everything settle, verify the invariants, and measure. The CLI (main.ts) and the tests call this.
 */
export async function runLoad(options: LoadOptions, deps: LoadDeps): Promise<LoadResult> {
  const log = deps.log ?? (() => {});
  const runId = randomUUID().slice(0, 8);
  const startedAt = new Date().toISOString();
  const api = new ApiClient([options.baseUrl, ...options.alsoBaseUrls], { maxSockets: options.connections + 8, timeoutMs: options.requestTimeoutMs });
  const setupStart = Date.now();
  // From before the setup: logging customers in (argon2id, 7 MiB a hash) is the API's memory peak.
  const memory = sampleApiMemory(api, () => Date.now() - setupStart);
  try {
    const organizer = await organizerAccount(api, options, runId);
    const customers = await provisionCustomers(api, deps.stores.shared, options.sameRequest === 'off' ? options.customers : 1, runId);
    const events = options.onSale ? [await createOnSaleEvent(api, options, organizer, runId)] : await prepareEvents(api, options, organizer, runId);
    const setupMs = Date.now() - setupStart;
    log(`run ${runId}: ${customers.length} customer(s), event(s) ${events.map((event) => event.id).join(', ')} (setup ${setupMs} ms)`);

    const run = new RunContext(options, api, new Random(options.seed), new Ledger(events), customers, organizer);
    const onSale = options.onSale && events[0] ? new OnSale(run, events[0], deps.stores, log) : undefined;
    const progress = startProgress(run, options.progress, deps.progress);
    deps.onLoadStart?.();
    try {
      // An on-sale ends when every buyer has an outcome (bounded by --max-duration), not at the sell-out.
      const limitMs = options.untilSoldOut || onSale ? options.maxDurationMs : options.durationMs;
      const clients = onSale ? onSale.drive().finally(() => onSale.stop()) : options.mode === 'open' ? runOpenArrivals(run) : runClosedClients(run);
      const churn = options.createDeleteEvents ? runEventChurn(run, runId) : Promise.resolve();
      for (let i = 0; i < 10_000_000 && !run.stopping; i++) {
        if (run.now() >= limitMs || (options.untilSoldOut && !onSale && run.ledger.allMainSoldOut())) run.stopping = true;
        else await delay(TICK_MS);
      }
      await Promise.all([clients, churn]);
    } finally {
      // Also when a client failed unexpectedly: the others stop, the progress line ends.
      run.stopping = true;
      progress.stop();
    }
    deps.onLoadEnd?.();
    const loadMs = run.now();
    const apiMemory = await memory.stop();

    log(`load done after ${(loadMs / 1000).toFixed(1)} s; settling...`);
    const eventIds = run.ledger.events.map((event) => event.id);
    const settleReport = await settle(run, deps, eventIds);
    const exact = !run.records.some((record) => record.kind === 'reserve' && record.status === 0 && !record.reservationId);
    const verification = await verifyRun(deps, eventIds, run.ledger.expectedSold(), exact);
    const sameRequest = options.sameRequest === 'off' ? undefined : await sameRequestFindings(deps.stores, run);
    const contention = await measureContention(deps.stores, eventIds);
    const onSaleReport = onSale ? await onSale.report() : undefined;

    const main = run.ledger.events.filter((event) => !event.ephemeral);
    const soldOutTimes = main.map((event) => event.soldOutAt);
    const allSoldOut = soldOutTimes.every((t): t is number => t !== undefined);
    return {
      version: 1,
      runId,
      ...(options.scenario ? { scenario: options.scenario } : {}),
      options: { ...options, databaseUrl: withoutPassword(options.databaseUrl) },
      startedAt,
      setupMs,
      loadMs: Math.round(loadMs),
      events: run.ledger.events.map((event) => ({
        id: event.id,
        seating: event.seating,
        capacity: event.capacity,
        ephemeral: event.ephemeral,
        createdAtMs: Math.round(event.createdAt),
        ...(event.deletedAt !== undefined ? { deletedAtMs: Math.round(event.deletedAt) } : {}),
        initiallySold: event.initiallySold,
        ...(event.soldOutAt !== undefined ? { soldOutAtMs: Math.round(event.soldOutAt) } : {}),
      })),
      bookings: summarizeBookings(run.records),
      cancels: summarizeOperations(run.records, 'cancel'),
      eventsCreated: summarizeOperations(run.records, 'create-event'),
      eventsDeleted: summarizeOperations(run.records, 'delete-event'),
      droppedArrivals: run.droppedArrivals,
      sellOut: {
        capacity: run.ledger.mainCapacity(),
        sold: main.reduce((sum, event) => sum + run.ledger.sold(event.id), 0),
        ...(allSoldOut ? { soldOutAtMs: Math.round(Math.max(...soldOutTimes)) } : {}),
      },
      seatsFilled: run.ledger.filled.map((point) => ({ t: Math.round(point.t), sold: point.sold })),
      shares: [...run.ledger.seatsByCustomer().entries()].sort((a, b) => a[0] - b[0]).map(([customer, seats]) => ({ customer, seats })),
      churn: { cancelledReservations: run.ledger.cancelledReservations(), reboughtSeats: run.ledger.reboughtSeats() },
      ...(sameRequest ? { sameRequest } : {}),
      ...(onSaleReport ? { onSale: onSaleReport } : {}),
      apiMemory,
      contention,
      timeline: timeline(run.records),
      latencyBins: latencyBins(run.records),
      settle: settleReport,
      verification,
      records: run.records.map(rounded),
    };
  } finally {
    await memory.stop();
    api.close();
  }
}

const rounded = (record: RequestRecord): RequestRecord => ({
  ...record,
  start: Math.round(record.start * 10) / 10,
  end: Math.round(record.end * 10) / 10,
  latencyMs: Math.round(record.latencyMs * 10) / 10,
  ...(record.holdMs !== undefined ? { holdMs: Math.round(record.holdMs * 10) / 10 } : {}),
});

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** --same-request: what the repeats produced, from the answers and from Postgres. */
async function sameRequestFindings(stores: InvariantStores, run: RunContext): Promise<{ keyed?: SameRequestFindings; unkeyed?: SameRequestFindings }> {
  const findings: { keyed?: SameRequestFindings; unkeyed?: SameRequestFindings } = {};
  const customer = run.customers[0];
  for (const variant of ['keyed', 'unkeyed'] as const) {
    const records = run.records.filter((record) => record.kind === 'reserve' && record.sameRequest === variant);
    if (records.length === 0 || !customer) continue;
    const failedByReason: Record<string, number> = {};
    for (const record of records) if (record.outcome !== 'confirmed') failedByReason[record.errorCode ?? 'unknown'] = (failedByReason[record.errorCode ?? 'unknown'] ?? 0) + 1;
    const finding: SameRequestFindings = {
      requests: records.length,
      confirmedAnswers: records.filter((record) => record.outcome === 'confirmed').length,
      distinctReservations: new Set(records.map((record) => record.reservationId).filter((id) => id !== undefined)).size,
      failedByReason,
    };
    const seatIds = records[0]?.seatIds;
    const eventId = records[0]?.eventId ?? '';
    if (seatIds) {
      const rows = await stores.booking<{ id: string; status: string }[]>`
        SELECT id, status FROM booking.reservations
        WHERE event_id = ${eventId} AND customer_id = ${customer.id} AND seat_ids = ${seatIds}::text[]`;
      const byStatus: Record<string, number> = {};
      for (const row of rows) byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;
      finding.reservationsInPostgres = byStatus;
      const [charges] = await stores.payments<{ count: number }[]>`
        SELECT count(*)::int AS count FROM payments.charges WHERE reservation_id = ANY(${rows.map((row) => row.id)}::uuid[]) AND status = 'captured'`;
      finding.chargesInPostgres = charges?.count ?? 0;
    }
    findings[variant] = finding;
  }
  return findings;
}
