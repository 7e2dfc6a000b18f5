import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectServiceToStores } from '../db/client.js';
import { createProjector } from '../worker/projector.js';
import { startIsolatedStack } from './support/isolated-stack.js';
import type { Stack } from './support/stack.js';

/**
 * What a projection batch costs in SQL statements, whatever it carries: under load a batch carries
 * the changes of several bookings, and nothing in it is sent once per booking (docs/performance.md,
 * "Lever: projection batches"). On databases of its own with no projection running, so that the
 * batches counted here are the only ones.
 */
let stack: Stack;
let organizer: { token: string };
let customer: { token: string };
let statements: string[] = [];
let projectionDb: ReturnType<typeof connectServiceToStores<'shared' | 'booking'>>;
let projector: ReturnType<typeof createProjector>;

beforeAll(async () => {
  stack = await startIsolatedStack('projection_batches', { withoutProjection: true });
  organizer = await stack.http.user('organizer');
  customer = await stack.http.user('customer');
  projectionDb = connectServiceToStores('projection', ['shared', 'booking'], { max: 2, cfg: stack.cfg, onQuery: (statement) => statements.push(statement) });
  projector = createProjector({ source: projectionDb.of('booking').sql, target: projectionDb.of('shared').sql });
  // A fresh connection first looks up the array types: connect before counting.
  await projector.catchUp();
});

afterAll(async () => {
  await projectionDb?.close();
  await stack?.stop();
});

/** Books `seats` (each a booking of its own, paid at once) and waits for every one to be confirmed. */
async function book(eventId: string, seats: string[]): Promise<void> {
  const answers = await Promise.all(seats.map((seat) => stack.http.post<{ status: string }>('/api/reservations', { eventId, seats: [seat], paymentToken: 'tok_visa' }, customer.token)));
  expect(answers.map((answer) => [answer.status, answer.body.status])).toEqual(seats.map(() => [201, 'confirmed']));
}

/** One batch, with the statements it sent. */
async function countedBatch(): Promise<{ applied: number; statements: string[] }> {
  statements = [];
  const { applied } = await projector.applyBatch();
  return { applied, statements };
}

const matching = (sent: string[], pattern: RegExp): number => sent.filter((statement) => pattern.test(statement)).length;

describe('projection batches', () => {
  it('a batch of eight bookings sends the statements of a batch of one, and the read model equals booking after each', async () => {
    const eventId = await stack.http.event(organizer.token, { type: 'reserved', rows: 2, seatsPerRow: 10 });
    await projector.catchUp();

    await book(eventId, ['A-1']);
    const one = await countedBatch();
    expect(await stack.invariants({ eventIds: [eventId], readModel: true })).toEqual([]);

    await book(eventId, ['A-2', 'A-3', 'A-4', 'A-5', 'B-1', 'B-2', 'B-3', 'B-4']);
    const eight = await countedBatch();
    expect(await stack.invariants({ eventIds: [eventId], readModel: true })).toEqual([]);

    // Each booking leaves its hold and its confirmation in the outbox (seats and reservation rows).
    expect(eight.applied).toBe(8 * one.applied);
    expect(eight.statements.length).toBe(one.statements.length);
    for (const batch of [one, eight]) {
      expect(matching(batch.statements, /INSERT INTO readmodel\.reservation_summaries/)).toBe(1);
      // The live feed's messages, and the customers' notifications' own.
      expect(matching(batch.statements, /pg_notify/)).toBe(2);
    }
    // Nothing left: the next batch reads the outbox and stops.
    const empty = await countedBatch();
    expect(empty.applied).toBe(0);
  });
});
