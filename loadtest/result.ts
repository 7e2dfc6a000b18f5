import type { Seating } from '../lib/seating.js';
import type { MemoryReport } from './api-memory.js';
import type { ContentionReport } from './contention.js';
import type { Verification } from './invariants.js';
import type { OnSaleReport } from './onsale.js';
import type { LoadOptions } from './options.js';
import type { RequestRecord } from './records.js';
import type { SettleReport } from './settle.js';
import type { BookingSummary, OperationSummary, TimelineBucket } from './stats.js';

/** What --same-request found for one variant: how many reservations the repeats made. */
export interface SameRequestFindings {
  requests: number;
  confirmedAnswers: number;
  /** Distinct reservation ids among the answers. */
  distinctReservations: number;
  failedByReason: Record<string, number>;
  /** Reserved seating: the customer's reservations of those exact seats in Postgres, by status. */
  reservationsInPostgres?: Record<string, number>;
  /** Captured charges of those reservations. */
  chargesInPostgres?: number;
}

/** Everything a run measured; written with --out and read by `npm run loadtest:compare`. */
export interface LoadResult {
  version: 1;
  runId: string;
  scenario?: string;
  options: LoadOptions;
  startedAt: string;
  setupMs: number;
  loadMs: number;
  events: {
    id: string;
    seating: Seating;
    capacity: number;
    ephemeral: boolean;
    createdAtMs: number;
    deletedAtMs?: number;
    initiallySold: number;
    soldOutAtMs?: number;
  }[];
  bookings: BookingSummary;
  cancels: OperationSummary;
  eventsCreated: OperationSummary;
  eventsDeleted: OperationSummary;
  droppedArrivals: number;
  /** The main events together: capacity, sold at the end of the load, when the last seat sold. */
  sellOut: { capacity: number; sold: number; soldOutAtMs?: number };
  seatsFilled: { t: number; sold: number }[];
  /** Seats each customer ended up with (not cancelled, not on a deleted event). */
  shares: { customer: number; seats: number }[];
  churn: { cancelledReservations: number; reboughtSeats: number };
  sameRequest?: { keyed?: SameRequestFindings; unkeyed?: SameRequestFindings };
  /** --scenario onsale: the waiting room's figures (or, with --no-queue, the same buyers without one). */
  onSale?: OnSaleReport;
  apiMemory: MemoryReport;
  /** Lock waits, visible intermediate states (saga), rows locked by prepared transactions (2PC). */
  contention: ContentionReport;
  timeline: TimelineBucket[];
  latencyBins: { fromMs: number; toMs: number; confirmed: number; failed: number }[];
  settle: SettleReport;
  verification: Verification;
  /** Every request: start, end, outcome, status, error code. */
  records: RequestRecord[];
}

/** 0 when every check passed, 1 otherwise: the load script's exit code. */
export const exitCodeOf = (result: Pick<LoadResult, 'verification' | 'settle'>): number => (result.verification.ok && result.settle.problems.length === 0 ? 0 : 1);
