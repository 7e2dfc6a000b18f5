import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../loadtest/records.js';
import { summarizeBookings } from '../../loadtest/stats.js';

const reserve = (seq: number, fields: Partial<RequestRecord>): RequestRecord => ({
  seq,
  kind: 'reserve',
  client: 0,
  eventId: 'e',
  seats: 2,
  start: seq * 10,
  end: seq * 10 + (fields.latencyMs ?? 0),
  latencyMs: 0,
  status: 201,
  outcome: 'confirmed',
  httpCalls: 1,
  ...fields,
});

describe('the load summary: who refused a lost race', () => {
  it('splits 409 seats_unavailable / sold_out by whether the answer named a reservation (a workflow ran)', () => {
    const summary = summarizeBookings([
      reserve(1, { latencyMs: 900, reservationId: 'r1' }),
      reserve(2, { latencyMs: 20, status: 409, outcome: 'failed', errorCode: 'seats_unavailable' }),
      reserve(3, { latencyMs: 30, status: 409, outcome: 'failed', errorCode: 'sold_out' }),
      reserve(4, { latencyMs: 3000, status: 409, outcome: 'failed', errorCode: 'seats_unavailable', reservationId: 'r4' }),
      // Not a lost race: a declined card, and a hold limit.
      reserve(5, { latencyMs: 800, status: 402, outcome: 'failed', errorCode: 'payment_declined', reservationId: 'r5' }),
      reserve(6, { latencyMs: 10, status: 409, outcome: 'failed', errorCode: 'hold_limit_reached' }),
    ]);
    expect(summary.refusedWithoutWorkflow.count).toBe(2);
    expect(summary.refusedWithoutWorkflow.maxMs).toBeCloseTo(30, 0);
    expect(summary.refusedByWorkflow.count).toBe(1);
    expect(summary.refusedByWorkflow.p50Ms).toBeCloseTo(3000, -1);
  });
});
