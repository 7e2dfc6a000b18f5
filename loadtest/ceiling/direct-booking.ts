import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import postgres from 'postgres';
import { ApiClient } from '../http-client.js';
import { groupCpuMs, machineCpu, snapshot } from './cpu.js';
import { closedLoop, type LoopResult } from './loop.js';

/**
 * (d) What a user would write instead of a saga: one Koa endpoint that books in one Postgres
 * transaction (claim a general-admission unit with SKIP LOCKED, insert a charge and a ticket), in
 * bench-only tables of the scratch database. Server and load client share this process, so the
 * client's CPU is in the "bench process" share (and the two compete for one core).
 */
export interface DirectResult extends LoopResult {
  machineMsPerBooking: number;
  benchProcessMsPerBooking: number;
  postgresMsPerBooking: number;
}

const UNITS = 200_000; // more than 80 connections can sell in warm-up + window at ~500/s

async function createTables(sql: postgres.Sql): Promise<void> {
  await sql`CREATE TABLE bench_units (id bigint PRIMARY KEY, event_id int NOT NULL, holder uuid)`;
  await sql`CREATE INDEX bench_units_free ON bench_units (event_id) WHERE holder IS NULL`;
  await sql`CREATE TABLE bench_charges (id uuid PRIMARY KEY, unit_id bigint NOT NULL, amount_cents int NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`;
  await sql`CREATE TABLE bench_tickets (id uuid PRIMARY KEY, unit_id bigint NOT NULL UNIQUE, charge_id uuid NOT NULL REFERENCES bench_charges, created_at timestamptz NOT NULL DEFAULT now())`;
  // 4 events like seed-002; a booking picks one at random.
  await sql`INSERT INTO bench_units (id, event_id) SELECT g, g % 4 FROM generate_series(1, ${UNITS}) AS g`;
  await sql`ANALYZE bench_units`;
}

export async function measureDirect(
  databaseUrl: string,
  settings: { concurrency: number; warmupMs: number; measureMs: number },
  log: (line: string) => void,
): Promise<DirectResult> {
  // A pool of 10, like each of the stack's services has.
  const sql = postgres(databaseUrl, { max: 10, onnotice: () => {} });
  const app = new Koa();
  app.use(async (ctx) => {
    if (ctx.method !== 'POST' || ctx.path !== '/book') ctx.throw(404);
    const eventId = Math.floor(Math.random() * 4);
    const ticket = await sql.begin(async (tx) => {
      const [unit] = await tx<{ id: string }[]>`
        UPDATE bench_units SET holder = ${randomUUID()}
        WHERE id = (SELECT id FROM bench_units WHERE event_id = ${eventId} AND holder IS NULL LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING id`;
      if (!unit) return undefined;
      const chargeId = randomUUID();
      const ticketId = randomUUID();
      await tx`INSERT INTO bench_charges (id, unit_id, amount_cents) VALUES (${chargeId}, ${unit.id}, 1000)`;
      await tx`INSERT INTO bench_tickets (id, unit_id, charge_id) VALUES (${ticketId}, ${unit.id}, ${chargeId})`;
      return { ticketId, unitId: unit.id };
    });
    if (!ticket) ctx.throw(409, 'sold_out');
    ctx.status = 201;
    ctx.body = ticket;
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  const api = new ApiClient(`http://127.0.0.1:${port}`, { maxSockets: settings.concurrency, timeoutMs: 30_000 });
  try {
    await createTables(sql);
    const once = async () => {
      const answer = await api.post<unknown>('/book', {});
      if (answer.status !== 201) throw new Error(`POST /book answered ${answer.status}`);
    };
    log(`(d) direct booking: warm-up ${settings.warmupMs / 1000} s (unmeasured), then ${settings.measureMs / 1000} s measured, ${settings.concurrency} connections`);
    await closedLoop(settings.concurrency, settings.warmupMs, once);
    const before = snapshot();
    const loop = await closedLoop(settings.concurrency, settings.measureMs, once);
    const after = snapshot();
    const [counts] = await sql<{ tickets: number; charges: number; held: number }[]>`
      SELECT (SELECT count(*)::int FROM bench_tickets) AS tickets, (SELECT count(*)::int FROM bench_charges) AS charges,
             (SELECT count(*)::int FROM bench_units WHERE holder IS NOT NULL) AS held`;
    // Its own little invariant: one charge and one ticket per claimed unit, nothing else.
    if (!counts || counts.tickets !== counts.charges || counts.tickets !== counts.held) throw new Error(`direct booking: ${JSON.stringify(counts)} (tickets, charges and claimed units differ)`);
    const per = (ms: number) => (loop.ok > 0 ? ms / loop.ok : Number.NaN);
    return {
      ...loop,
      machineMsPerBooking: per(machineCpu(before, after).busyMs),
      benchProcessMsPerBooking: per(groupCpuMs(before, after, { only: process.pid })),
      postgresMsPerBooking: per(groupCpuMs(before, after, { comm: 'postgres' })),
    };
  } finally {
    api.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await sql.end({ timeout: 5 });
  }
}
