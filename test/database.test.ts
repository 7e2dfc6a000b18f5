import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAs, connectAsOwner, type DatabaseHandle } from '../db/client.js';
import { postgresErrorOf } from '../db/errors.js';
import { runMigrations } from '../db/migrate.js';
import { demoAccounts, seed } from '../scripts/demo-data.js';
import { config, serviceRoles, statementTimeoutsMs, type ServiceName } from '../lib/config.js';

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

  it('the waiting room is the API role’s: it reads and writes places, never deletes one; other roles cannot reach it', async () => {
    const api = connectAs('api', { max: 1 });
    const booking = connectAs('booking', { max: 1 });
    const projection = connectAs('projection', { max: 1 });
    try {
      const eventId = randomUUID();
      await expect(api.sql`INSERT INTO waitroom.places (event_id, account_id, draw_key, status) VALUES (${eventId}, ${randomUUID()}, 1, 'pre_queue')`).resolves.toBeDefined();
      await expect(api.sql`UPDATE waitroom.places SET status = 'closed' WHERE event_id = ${eventId}`).resolves.toBeDefined();
      expect(await codeOf(api.sql`DELETE FROM waitroom.places WHERE event_id = ${eventId}`)).toBe('42501');
      expect(await codeOf(booking.sql`SELECT * FROM waitroom.places LIMIT 1`)).toBe('42501');
      expect(await codeOf(projection.sql`UPDATE waitroom.queues SET total = 0`)).toBe('42501');
    } finally {
      await Promise.all([api.close(), booking.close(), projection.close()]);
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

/**
 * What each role's code does, and nothing else (db/migrations/0004_least_privilege.sql). Each
 * statement runs as the role in its own database, inside a transaction that is rolled back: `ok`
 * must succeed, `denied` must fail with permission denied (42501). Writes that should be allowed
 * touch no row (WHERE false, INSERT ... SELECT ... WHERE false) except where a real row is needed
 * to prove a sequence or a default.
 */
type Expectation = { sql: string; ok: boolean };
const ok = (sql: string): Expectation => ({ sql, ok: true });
const denied = (sql: string): Expectation => ({ sql, ok: false });
const uuid = "'00000000-0000-4000-8000-000000000001'::uuid";

const privileges: Record<ServiceName, Expectation[]> = {
  api: [
    ok('SELECT count(*) FROM identity.users'),
    ok(`INSERT INTO identity.users (email, name, password_hash) VALUES ('least-privilege@example.test', 'n', 'h')`),
    denied('UPDATE identity.users SET name = name WHERE false'),
    denied('DELETE FROM identity.users WHERE false'),
    ok('SELECT count(*) FROM catalog.events'),
    ok('UPDATE catalog.events SET name = name WHERE false'),
    denied('DELETE FROM catalog.events WHERE false'),
    ok('SELECT count(*) FROM booking.reservations'),
    denied('UPDATE booking.reservations SET status = status WHERE false'),
    denied('SELECT count(*) FROM booking.inventories'),
    denied('SELECT count(*) FROM booking.outbox'),
    ok('SELECT count(*) FROM booking.waitlist'),
    denied('UPDATE booking.waitlist SET quantity = quantity WHERE false'),
    denied('DELETE FROM booking.waitlist WHERE false'),
    ok('SELECT count(*) FROM ticketing.tickets'),
    denied('UPDATE ticketing.tickets SET status = status WHERE false'),
    ok('SELECT count(*) FROM readmodel.seat_states'),
    denied('DELETE FROM readmodel.seat_states WHERE false'),
    denied('SELECT count(*) FROM readmodel.projection_cursors'),
    ok(`INSERT INTO payments.payment_tokens (reference, reservation_id, token) VALUES (gen_random_uuid(), ${uuid}, 'tok_visa')`),
    denied('SELECT count(*) FROM payments.payment_tokens'),
    denied('SELECT count(*) FROM payments.charges'),
    denied('SELECT count(*) FROM coordinator.decisions'),
  ],
  booking: [
    ok('SELECT count(*) FROM booking.seats'),
    ok('UPDATE booking.seats SET status = status WHERE false'),
    ok('UPDATE booking.inventories SET closed = closed WHERE false'),
    ok('UPDATE booking.reservations SET status = status WHERE false'),
    denied('DELETE FROM booking.seats WHERE false'),
    denied('DELETE FROM booking.reservations WHERE false'),
    ok('UPDATE booking.waitlist SET quantity = quantity WHERE false'),
    ok('DELETE FROM booking.waitlist WHERE false'),
    ok(`INSERT INTO booking.outbox (event_id, kind, payload) VALUES (${uuid}, 'seats', '{}'::jsonb)`),
    denied('SELECT count(*) FROM booking.outbox'),
    denied('UPDATE booking.outbox SET kind = kind WHERE false'),
    denied('DELETE FROM booking.outbox WHERE false'),
    denied('SELECT count(*) FROM payments.charges'),
    denied('SELECT count(*) FROM identity.users'),
    denied('SELECT count(*) FROM readmodel.seat_states'),
  ],
  payments: [
    ok('SELECT count(*) FROM payments.charges'),
    ok(`INSERT INTO payments.charges (idempotency_key, reservation_id, amount_cents, currency, status, gateway_reference) VALUES ('least-privilege', ${uuid}, 100, 'EUR', 'captured', 'ref')`),
    denied('UPDATE payments.charges SET status = status WHERE false'),
    denied('DELETE FROM payments.charges WHERE false'),
    ok('SELECT count(*) FROM payments.refunds'),
    denied('UPDATE payments.refunds SET amount_cents = amount_cents WHERE false'),
    denied('DELETE FROM payments.refunds WHERE false'),
    ok('SELECT count(*) FROM payments.payment_tokens'),
    ok('DELETE FROM payments.payment_tokens WHERE false'),
    denied('UPDATE payments.payment_tokens SET token = token WHERE false'),
    denied('SELECT count(*) FROM booking.seats'),
    denied('SELECT count(*) FROM ticketing.tickets'),
  ],
  ticketing: [
    ok('SELECT count(*) FROM ticketing.tickets'),
    ok('UPDATE ticketing.tickets SET status = status WHERE false'),
    denied('DELETE FROM ticketing.tickets WHERE false'),
    denied('SELECT count(*) FROM booking.reservations'),
    denied('SELECT count(*) FROM payments.charges'),
  ],
  projection: [
    ok('SELECT count(*) FROM booking.outbox'),
    ok('SELECT count(*) FROM booking.seats'),
    denied('UPDATE booking.seats SET status = status WHERE false'),
    denied('DELETE FROM booking.outbox WHERE false'),
    ok('DELETE FROM readmodel.seat_states WHERE false'),
    denied('UPDATE readmodel.seat_states SET status = status WHERE false'),
    ok('UPDATE readmodel.event_availability SET held = held WHERE false'),
    denied('DELETE FROM readmodel.event_availability WHERE false'),
    denied('DELETE FROM readmodel.reservation_summaries WHERE false'),
    ok(`INSERT INTO readmodel.projection_cursors (name) VALUES ('least-privilege') ON CONFLICT (name) DO UPDATE SET name = excluded.name`),
    denied('SELECT count(*) FROM identity.users'),
  ],
  coordinator: [
    ok('SELECT count(*) FROM coordinator.decisions'),
    ok('UPDATE coordinator.decisions SET completed_at = now() WHERE false'),
    denied('DELETE FROM coordinator.decisions WHERE false'),
    denied('SELECT count(*) FROM booking.seats'),
    denied('SELECT count(*) FROM payments.charges'),
  ],
  notify: [
    ok('SELECT count(*) FROM catalog.events'),
    denied('UPDATE catalog.events SET name = name WHERE false'),
    ok('SELECT count(*) FROM notify.subscriptions'),
    denied('DELETE FROM notify.subscriptions WHERE false'),
    ok(`INSERT INTO notify.notifications (user_id, type, message, dedupe_key) VALUES (${uuid}, 'reminder', 'x', 'least-privilege')`),
    denied('UPDATE notify.notifications SET message = message WHERE false'),
    denied('DELETE FROM notify.notifications WHERE false'),
    denied('SELECT count(*) FROM identity.users'),
    denied('SELECT count(*) FROM booking.reservations'),
  ],
};

/** Every role, whatever its grants: nothing through PUBLIC. */
const everyRoleDenied = ['CREATE TEMP TABLE least_privilege_probe (a int)', 'CREATE TABLE public.least_privilege_probe (a int)', 'CREATE TABLE booking.least_privilege_probe (a int)', 'TRUNCATE booking.seats'];

class RolledBack extends Error {}

/** The Postgres error code of `statement` run as `handle`'s role, or undefined when it succeeded; never commits. */
async function outcomeOf(handle: DatabaseHandle, statement: string): Promise<string | undefined> {
  try {
    await handle.sql.begin(async (tx) => {
      await tx.unsafe(statement);
      throw new RolledBack();
    });
  } catch (error) {
    if (error instanceof RolledBack) return undefined;
    const code = postgresErrorOf(error)?.code;
    if (code) return code;
    throw error;
  }
  return 'committed';
}

describe('least privilege: each role may do what its code does and nothing else', () => {
  for (const [service, expectations] of Object.entries(privileges) as [ServiceName, Expectation[]][]) {
    it(`${service}: ${expectations.filter((e) => e.ok).length} statements allowed, ${expectations.filter((e) => !e.ok).length + everyRoleDenied.length} denied`, async () => {
      const handle = connectAs(service, { max: 1 });
      try {
        const [{ user } = { user: '' }] = await handle.sql<{ user: string }[]>`SELECT current_user AS user`;
        expect(user).toBe(serviceRoles[service]);
        for (const { sql, ok: allowed } of expectations) expect(await outcomeOf(handle, sql), `${service}: ${sql}`).toBe(allowed ? undefined : '42501');
        for (const sql of everyRoleDenied) expect(await outcomeOf(handle, sql), `${service}: ${sql}`).toBe('42501');
      } finally {
        await handle.close();
      }
    });
  }

  it('PUBLIC may neither connect, nor create temporary tables, nor use the public schema', async () => {
    const [rights] = await owner.sql<{ connect: boolean; temp: boolean; publicSchema: boolean; apiConnect: boolean }[]>`
      SELECT has_database_privilege('public', current_database(), 'CONNECT') AS connect,
             has_database_privilege('public', current_database(), 'TEMP') AS temp,
             has_schema_privilege('public', 'public', 'USAGE') AS "publicSchema",
             has_database_privilege('boxoffice_api', current_database(), 'CONNECT') AS "apiConnect"`;
    expect(rights).toEqual({ connect: false, temp: false, publicSchema: false, apiConnect: true });
    // No table of ours grants anything to PUBLIC.
    const opened = await owner.sql<{ table: string }[]>`
      SELECT table_schema || '.' || table_name AS table FROM information_schema.role_table_grants
      WHERE grantee = 'PUBLIC' AND table_schema IN ('identity', 'catalog', 'booking', 'payments', 'ticketing', 'readmodel', 'coordinator')`;
    expect(opened).toEqual([]);
  });

  it('every service role has its configured statement_timeout in this database, and it cancels a runaway statement', async () => {
    const expected = statementTimeoutsMs(config());
    for (const service of Object.keys(serviceRoles) as ServiceName[]) {
      const handle = connectAs(service, { max: 1 });
      try {
        const [row] = await handle.sql<{ setting: string }[]>`SELECT setting FROM pg_settings WHERE name = 'statement_timeout'`;
        expect(Number(row?.setting), service).toBe(expected[service]);
      } finally {
        await handle.close();
      }
    }
    // Set for this database only: roles are shared by every database of the cluster.
    const clusterWide = await owner.sql`SELECT 1 FROM pg_db_role_setting WHERE setdatabase = 0 AND setrole::regrole::text LIKE 'boxoffice_%' AND array_to_string(setconfig, ',') LIKE '%statement_timeout%'`;
    expect(clusterWide).toHaveLength(0);
    const api = connectAs('api', { max: 1 });
    try {
      const started = Date.now();
      expect(await outcomeOf(api, `SELECT pg_sleep(${expected.api / 1000 + 5})`)).toBe('57014');
      expect(Date.now() - started).toBeLessThan(expected.api + 4000);
    } finally {
      await api.close();
    }
  }, 30_000);
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

describe('a pool opened ahead of a burst', () => {
  it('openAll opens every connection the pool may use, so a burst after it starts none', async () => {
    const booking = connectAs('booking', { max: 4 });
    try {
      await booking.openAll();
      const opened = new Date();
      // Four statements at once, each holding its connection for a moment: four connections.
      const backends = await Promise.all(
        Array.from({ length: 4 }, async () => (await booking.sql<{ pid: number; started: string }[]>`SELECT pg_backend_pid() AS pid, backend_start::text AS started, pg_sleep(0.05) FROM pg_stat_activity WHERE pid = pg_backend_pid()`)[0]),
      );
      expect(new Set(backends.map((backend) => backend?.pid)).size).toBe(4);
      expect(backends.every((backend) => backend !== undefined && Date.parse(backend.started) <= opened.getTime())).toBe(true);
    } finally {
      await booking.close();
    }
  });
});
