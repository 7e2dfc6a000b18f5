import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../lib/poll.js';
import { createAbuseFixtures, type AbuseFixtures } from './support/abuse-fixtures.js';
import { accessMatrix, accountOf, callers, refusalCodes, type Call, type Caller, type MatrixRow } from './support/access-matrix.js';
import { snapshotDatabases, snapshotDifferences } from './support/db-snapshot.js';
import { startIsolatedStack } from './support/isolated-stack.js';
import type { Stack } from './support/stack.js';

/**
 * Role × endpoint × owner: every route of the API (the router's own list, from /openapi.json)
 * called by nobody, its owner, someone of the same role who is not, and an admin; each answer's
 * status class asserted, and every refused call proven to change nothing in Postgres.
 */
let stack: Stack;
let fixtures: AbuseFixtures;

beforeAll(async () => {
  stack = await startIsolatedStack('matrix');
  fixtures = await createAbuseFixtures(stack);
});
afterAll(() => stack?.stop());

async function send(call: Call, caller: Caller) {
  const account = accountOf(fixtures, caller);
  return stack.http.request(call.method, call.path, { ...(account ? { token: account.token } : {}), ...(call.body !== undefined ? { body: call.body } : {}) });
}

const statusClass = (status: number): string => (status >= 200 && status < 300 ? '2xx' : String(status));

/** A success's body must be what the contract (api/contract/) says that route answers with that status. */
function expectContractBody(row: MatrixRow, answer: { status: number; body: unknown }): void {
  const route = stack.routes.find((candidate) => `${candidate.method.toUpperCase()} ${candidate.path}` === row.route);
  const response = route?.responses[answer.status];
  if (response === undefined) throw new Error(`${row.route} answered ${answer.status}, which its route does not declare`);
  if (typeof response === 'object') {
    const parsed = response.body.safeParse(answer.body);
    expect(parsed.success, `${row.route} ${answer.status}: ${parsed.error?.message ?? ''}`).toBe(true);
  }
}

const cellsOf = (wantState: (row: MatrixRow, caller: Caller) => boolean) =>
  accessMatrix.flatMap((row) => callers.filter((caller) => wantState(row, caller)).map((caller) => ({ row, caller, label: `${row.route} as ${caller} → ${row.expected[caller]}` })));

describe('the matrix covers the API', () => {
  it('has exactly one row per route the router serves (a new route without a row fails here)', async () => {
    const spec = await stack.http.get<{ paths: Record<string, Record<string, unknown>> }>('/openapi.json');
    const served = Object.entries(spec.body.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{([A-Za-z]+)\}/g, ':$1')}`))
      .sort();
    const rows = accessMatrix.map((row) => row.route);
    expect(new Set(rows).size).toBe(rows.length);
    expect([...rows].sort()).toEqual(served);
  });
});

// First every call that must change nothing: refusals anywhere, and whatever reads.
describe('refused calls and reads change nothing', () => {
  it.each(cellsOf((row, caller) => row.expected[caller] !== '2xx' || !row.changesState))('$label', async ({ row, caller }) => {
    const call = await row.call(fixtures, false);
    const before = await snapshotDatabases(stack.stores);
    const answer = await send(call, caller);
    const expected = row.expected[caller];
    expect(statusClass(answer.status), `${call.method} ${call.path}: ${JSON.stringify(answer.body)}`).toBe(String(expected));
    if (expected !== '2xx') {
      expect(answer.body).toMatchObject({ error: expect.stringMatching(refusalCodes[expected]), message: expect.any(String) });
    } else {
      expectContractBody(row, answer);
    }
    expect(snapshotDifferences(before, await snapshotDatabases(stack.stores))).toEqual([]);
  });
});

// Then the calls allowed to change state, each on a target of its own.
describe('allowed calls that change state succeed, and do change it', () => {
  it.each(cellsOf((row, caller) => row.expected[caller] === '2xx' && row.changesState))('$label', async ({ row, caller }) => {
    const call = await row.call(fixtures, true);
    // No wait for the projection: its late writes could only add differences, and this asks for one.
    const before = await snapshotDatabases(stack.stores);
    const answer = await send(call, caller);
    expect(statusClass(answer.status), `${call.method} ${call.path}: ${JSON.stringify(answer.body)}`).toBe('2xx');
    expectContractBody(row, answer);
    const location = answer.headers.get('location');
    if (answer.status === 202 && location?.startsWith('/api/reservations/')) {
      // A loaded machine outlasted the request's wait: the saga's own writes are what this checks.
      const account = accountOf(fixtures, caller);
      await pollUntil(async () => ((await stack.http.get<{ status: string }>(location, account?.token)).body.status !== 'pending' ? true : undefined), { timeoutMs: 60_000, intervalMs: 100, what: `${location} to leave pending` });
    }
    // The snapshot would see it: the refusals above are not equal by accident.
    expect(snapshotDifferences(before, await snapshotDatabases(stack.stores))).not.toEqual([]);
  });
});
