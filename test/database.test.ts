import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAs, connectAsOwner, type DatabaseHandle } from '../db/client.js';
import { postgresErrorOf } from '../db/errors.js';
import { runMigrations } from '../db/migrate.js';
import { demoAccounts, seed } from '../scripts/demo-data.js';
import { config } from '../lib/config.js';

let owner: DatabaseHandle;
beforeAll(() => {
  owner = connectAsOwner({ max: 2 });
});
afterAll(() => owner?.close());

const codeOf = async (promise: Promise<unknown>): Promise<string | undefined> => {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return postgresErrorOf(error)?.code;
  }
};

describe('each service reaches only its own schema', () => {
  it('the payments role cannot read or write booking tables', async () => {
    const payments = connectAs('payments', { max: 1 });
    try {
      expect(await codeOf(payments.sql`SELECT * FROM booking.seats LIMIT 1`)).toBe('42501');
      expect(await codeOf(payments.sql`UPDATE booking.seats SET status = 'available'`)).toBe('42501');
      expect(await codeOf(payments.sql`SELECT * FROM ticketing.tickets LIMIT 1`)).toBe('42501');
      await expect(payments.sql`SELECT count(*) FROM payments.charges`).resolves.toHaveLength(1);
    } finally {
      await payments.close();
    }
  });

  it('the API role reads reservations but cannot write booking state', async () => {
    const api = connectAs('api', { max: 1 });
    try {
      await expect(api.sql`SELECT count(*) FROM booking.reservations`).resolves.toHaveLength(1);
      expect(await codeOf(api.sql`UPDATE booking.reservations SET status = 'confirmed'`)).toBe('42501');
      expect(await codeOf(api.sql`INSERT INTO booking.seats (event_id, seat_id, position) VALUES (${randomUUID()}, 'A-1', 1)`)).toBe('42501');
      expect(await codeOf(api.sql`SELECT * FROM payments.charges LIMIT 1`)).toBe('42501');
    } finally {
      await api.close();
    }
  });

  it('the notify role reads the catalogue and subscriptions and writes notifications, nothing else; the API cannot write notifications', async () => {
    const notify = connectAs('notify', { max: 1 });
    const api = connectAs('api', { max: 1 });
    try {
      await expect(notify.sql`SELECT count(*) FROM catalog.events`).resolves.toHaveLength(1);
      await expect(notify.sql`SELECT count(*) FROM notify.subscriptions`).resolves.toHaveLength(1);
      const key = `grant-test:${randomUUID()}`;
      await expect(notify.sql`INSERT INTO notify.notifications (user_id, type, message, dedupe_key) VALUES (${randomUUID()}, 'reminder', 'x', ${key})`).resolves.toBeDefined();
      expect(await codeOf(notify.sql`UPDATE catalog.events SET name = 'x'`)).toBe('42501');
      expect(await codeOf(notify.sql`INSERT INTO notify.subscriptions (event_id, user_id) VALUES (${randomUUID()}, ${randomUUID()})`)).toBe('42501');
      expect(await codeOf(notify.sql`DELETE FROM notify.notifications WHERE dedupe_key = ${key}`)).toBe('42501');
      expect(await codeOf(notify.sql`SELECT * FROM identity.users LIMIT 1`)).toBe('42501');
      expect(await codeOf(api.sql`INSERT INTO notify.notifications (user_id, type, message, dedupe_key) VALUES (${randomUUID()}, 'reminder', 'x', ${`${key}-api`})`)).toBe('42501');
      await expect(api.sql`SELECT count(*) FROM notify.notifications`).resolves.toHaveLength(1);
    } finally {
      await Promise.all([notify.close(), api.close()]);
    }
  });

  it('the booking and ticketing roles cannot touch payments', async () => {
    for (const service of ['booking', 'ticketing'] as const) {
      const handle = connectAs(service, { max: 1 });
      try {
        expect(await codeOf(handle.sql`SELECT * FROM payments.charges LIMIT 1`)).toBe('42501');
      } finally {
        await handle.close();
      }
    }
  });
});

describe('the database itself forbids selling a seat twice', () => {
  it('a second row for the same seat of the same event is refused', async () => {
    const eventId = randomUUID();
    await owner.sql`INSERT INTO booking.seats (event_id, seat_id, position, status, reservation_id) VALUES (${eventId}, 'A-1', 1, 'sold', ${randomUUID()})`;
    expect(await codeOf(owner.sql`INSERT INTO booking.seats (event_id, seat_id, position, status, reservation_id) VALUES (${eventId}, 'A-1', 1, 'held', ${randomUUID()})`)).toBe('23505');
    await owner.sql`DELETE FROM booking.seats WHERE event_id = ${eventId}`;
  });

  it('a held or sold seat must name its reservation, and a free one none', async () => {
    const eventId = randomUUID();
    expect(await codeOf(owner.sql`INSERT INTO booking.seats (event_id, seat_id, position, status) VALUES (${eventId}, 'A-1', 1, 'held')`)).toBe('23514');
    expect(await codeOf(owner.sql`INSERT INTO booking.seats (event_id, seat_id, position, status, reservation_id) VALUES (${eventId}, 'A-2', 2, 'available', ${randomUUID()})`)).toBe('23514');
  });
});

describe('migrations and demo data', () => {
  it('migrating again changes nothing', async () => {
    const before = await owner.sql`SELECT count(*)::int AS count FROM drizzle.__drizzle_migrations`;
    await runMigrations(config().DATABASE_URL);
    const after = await owner.sql`SELECT count(*)::int AS count FROM drizzle.__drizzle_migrations`;
    expect(after).toEqual(before);
  });

  it('seeding twice creates the demo users and 720 theater seats once', async () => {
    await seed(owner.db);
    const again = await seed(owner.db);
    expect(again).toEqual({ users: 0, events: 0 });
    const users = await owner.sql<{ email: string }[]>`SELECT email FROM identity.users WHERE email = ANY(${demoAccounts.map((account) => account.email)}) ORDER BY email`;
    expect(users).toHaveLength(3);
    const [theater] = await owner.sql<{ seats: number; events: number }[]>`
      SELECT sum(capacity)::int AS seats, count(*)::int AS events FROM catalog.events WHERE venue LIKE 'Grand Theater%' AND seating_type = 'reserved'`;
    expect(theater).toEqual({ seats: 720, events: 6 });
    const [general] = await owner.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM catalog.events WHERE seating_type = 'general' AND capacity = 10000 AND venue = 'City Park'`;
    expect(general?.count).toBe(4);
  });
});
