import { setTimeout as delay } from 'node:timers/promises';
import type postgres from 'postgres';
import { MAX_CHANGES_PER_SEAT_MESSAGE, OUTBOX_CHANNEL, RESERVATION_CHANNEL, SEAT_CHANNEL, type ReservationMessage, type SeatMessage } from '../db/channels.js';
import type { SeatStatus } from '../lib/seating.js';
import type { ReservationStatus } from '../lib/reservations.js';
import { reservationNotifications } from './reservation-notifications.js';

const CURSOR = 'main';
const BATCH = 2000;

interface OutboxRow {
  id: string;
  txid: string;
  event_id: string;
  kind: 'seats' | 'reservation';
  payload: { reservationId?: string; id?: string; changes?: { id: string }[]; customerId?: string; status?: string; refundedCents?: number; failureReason?: string };
}

/** Where the projector reads the booking store (the outbox) and writes the read model; one database or two. */
export interface ProjectorConnections {
  source: postgres.Sql;
  target: postgres.Sql;
}

interface BatchInput {
  rows: OutboxRow[];
  seats: Map<string, { current: { seat_id: string; status: SeatStatus; reservation_id: string | null }[]; held: number; sold: number }>;
  reservations: { id: string; event_id: string; customer_id: string; status: ReservationStatus; quantity: number; amount_cents: number; refunded_cents: number; created_at: Date }[];
}

/**
 * Keeps the read model equal to the booking store. It reads the outbox in commit-safe order, then
 * copies the *current* state of every seat and reservation a batch mentions, so applying a batch
 * twice, or two projectors at once, still converges to the truth. The booking store is read in one
 * snapshot; the read model and the cursor move in one transaction, so they can live in different
 * databases.
 */
export function createProjector({ source, target }: ProjectorConnections) {
  /** The outbox rows after the cursor, and the current state of everything they mention. */
  async function readBatch(cursor: { last_txid: string; last_outbox_id: string }): Promise<BatchInput> {
    return source.begin('isolation level repeatable read read only', async (read) => {
      const rows = await read<OutboxRow[]>`
        SELECT id::text, txid::text, event_id, kind, payload FROM booking.outbox
        WHERE (txid, id) > (${cursor.last_txid}::xid8, ${cursor.last_outbox_id}::bigint)
          AND txid < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY txid, id LIMIT ${BATCH}`;
      const seatsByEvent = new Map<string, Set<string>>();
      const reservationIds = new Set<string>();
      for (const row of rows) {
        if (row.kind === 'seats') {
          const seats = seatsByEvent.get(row.event_id) ?? new Set<string>();
          for (const change of row.payload.changes ?? []) seats.add(change.id);
          seatsByEvent.set(row.event_id, seats);
        } else if (row.payload.id) {
          reservationIds.add(row.payload.id);
        }
      }
      const seats: BatchInput['seats'] = new Map();
      for (const [eventId, seatIds] of seatsByEvent) {
        const current = await read<{ seat_id: string; status: SeatStatus; reservation_id: string | null }[]>`
          SELECT seat_id, status, reservation_id FROM booking.seats WHERE event_id = ${eventId} AND seat_id = ANY(${[...seatIds]}::text[])`;
        const [counts] = await read<{ held: number; sold: number }[]>`
          SELECT count(*) FILTER (WHERE status = 'held')::int AS held, count(*) FILTER (WHERE status = 'sold')::int AS sold
          FROM booking.seats WHERE event_id = ${eventId}`;
        seats.set(eventId, { current, held: counts?.held ?? 0, sold: counts?.sold ?? 0 });
      }
      const reservations =
        reservationIds.size === 0
          ? []
          : await read<BatchInput['reservations']>`
              SELECT id, event_id, customer_id, status, quantity, amount_cents, refunded_cents, created_at FROM booking.reservations WHERE id = ANY(${[...reservationIds]}::uuid[])`;
      return { rows, seats, reservations };
    });
  }

  /** Applies one batch; returns how many outbox rows it consumed. */
  async function applyBatch(): Promise<number> {
    return target.begin(async (tx) => {
      // One projector at a time moves the cursor; a second one waits here, then sees the new cursor.
      const [cursor] = await tx<{ last_txid: string; last_outbox_id: string }[]>`
        INSERT INTO readmodel.projection_cursors (name) VALUES (${CURSOR})
        ON CONFLICT (name) DO UPDATE SET name = excluded.name
        RETURNING last_txid::text, last_outbox_id::text`;
      if (!cursor) throw new Error('projection cursor missing');
      const { rows, seats, reservations } = await readBatch(cursor);
      if (rows.length === 0) return 0;

      for (const [eventId, { current, held, sold }] of seats) {
        const ids = current.map((seat) => seat.seat_id);
        await tx`DELETE FROM readmodel.seat_states WHERE event_id = ${eventId} AND seat_id = ANY(${ids}::text[])`;
        const taken = current.filter((seat) => seat.status !== 'available');
        if (taken.length > 0) {
          await tx`
            INSERT INTO readmodel.seat_states (event_id, seat_id, status, reservation_id)
            SELECT ${eventId}, s, st::booking.seat_status, NULLIF(r, '')::uuid
            FROM unnest(${taken.map((seat) => seat.seat_id)}::text[], ${taken.map((seat) => seat.status)}::text[], ${taken.map((seat) => seat.reservation_id ?? '')}::text[]) AS t(s, st, r)`;
        }
        const changes = current.map((seat) => ({ id: seat.seat_id, status: seat.status }));
        const messages = Math.max(1, Math.ceil(changes.length / MAX_CHANGES_PER_SEAT_MESSAGE));
        const [availability] = await tx<{ version: string }[]>`
          INSERT INTO readmodel.event_availability (event_id, held, sold, version, updated_at)
          VALUES (${eventId}, ${held}, ${sold}, ${messages}, now())
          ON CONFLICT (event_id) DO UPDATE SET held = excluded.held, sold = excluded.sold,
            version = readmodel.event_availability.version + ${messages}, updated_at = now()
          RETURNING version::text`;
        const lastVersion = Number(availability?.version ?? messages);
        for (let index = 0; index < messages; index++) {
          const message: SeatMessage = {
            eventId,
            version: lastVersion - messages + 1 + index,
            changes: changes.slice(index * MAX_CHANGES_PER_SEAT_MESSAGE, (index + 1) * MAX_CHANGES_PER_SEAT_MESSAGE),
            held,
            sold,
          };
          // Delivered at commit, in commit order.
          await tx`SELECT pg_notify(${SEAT_CHANNEL}, ${JSON.stringify(message)})`;
        }
      }

      for (const reservation of reservations) {
        await tx`
          INSERT INTO readmodel.reservation_summaries (id, event_id, customer_id, status, quantity, amount_cents, refunded_cents, created_at, updated_at)
          VALUES (${reservation.id}, ${reservation.event_id}, ${reservation.customer_id}, ${reservation.status}, ${reservation.quantity}, ${reservation.amount_cents}, ${reservation.refunded_cents}, ${reservation.created_at}, now())
          ON CONFLICT (id) DO UPDATE SET status = excluded.status, quantity = excluded.quantity, refunded_cents = excluded.refunded_cents,
            created_at = excluded.created_at, updated_at = now()`;
        const message: ReservationMessage = { id: reservation.id, eventId: reservation.event_id, customerId: reservation.customer_id, status: reservation.status };
        await tx`SELECT pg_notify(${RESERVATION_CHANNEL}, ${JSON.stringify(message)})`;
      }

      // In the cursor's transaction, keyed by reservation and status: a batch applied twice, or by
      // two projectors, tells the customer once per change.
      await reservationNotifications(tx, rows);

      const last = rows[rows.length - 1];
      if (!last) return 0;
      await tx`UPDATE readmodel.projection_cursors SET last_txid = ${last.txid}::xid8, last_outbox_id = ${last.id}::bigint WHERE name = ${CURSOR}`;
      return rows.length;
    });
  }

  /** Applies batches until the outbox has nothing more to give right now. */
  async function catchUp(): Promise<number> {
    let total = 0;
    for (;;) {
      const applied = await applyBatch();
      total += applied;
      if (applied < BATCH) return total;
    }
  }

  /**
   * Whether committed outbox rows wait beyond the cursor: rows held back because an older
   * transaction (anywhere in the cluster) is still open, or not read yet.
   */
  async function hasPending(): Promise<boolean> {
    const [cursor] = await target<{ last_txid: string; last_outbox_id: string }[]>`
      SELECT last_txid::text, last_outbox_id::text FROM readmodel.projection_cursors WHERE name = ${CURSOR}`;
    const [row] = await source<{ pending: boolean }[]>`
      SELECT EXISTS (
        SELECT 1 FROM booking.outbox
        WHERE (txid, id) > (${cursor?.last_txid ?? '0'}::xid8, ${cursor?.last_outbox_id ?? '0'}::bigint)
      ) AS pending`;
    return row?.pending ?? false;
  }

  /** Catches up until nothing committed is left, or throws after `timeoutMs`. */
  async function drain(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await catchUp();
      if (!(await hasPending())) return;
      if (Date.now() > deadline) throw new Error(`projection still behind after ${timeoutMs} ms: an old transaction holds the outbox back`);
      await delay(20);
    }
  }

  /**
   * Runs until stopped: wakes on NOTIFY from the booking activities, and sweeps every
   * `sweepMs` anyway, so a lost notification only delays a change.
   */
  function start(options: { sweepMs?: number; onError?: (error: unknown) => void; onRelisten?: () => void } = {}) {
    let stopped = false;
    let running: Promise<unknown> = Promise.resolve();
    let wake: (() => void) | undefined;
    let listenedOnce = false;
    // postgres.js re-issues LISTEN whenever its connection closes, retrying until Postgres answers;
    // NOTIFYs sent meanwhile are lost, so a re-established LISTEN catches up at once (the sweep
    // would, a little later). If Postgres is down at start the first LISTEN fails, and the same
    // retry takes over: the failure is only logged.
    const onListen = () => {
      if (listenedOnce) options.onRelisten?.();
      listenedOnce = true;
      wake?.();
    };
    const listening = source.listen(OUTBOX_CHANNEL, () => wake?.(), onListen).catch((error: unknown) => {
      options.onError?.(error);
      return undefined;
    });
    const loop = (async () => {
      while (!stopped) {
        running = catchUp().catch((error: unknown) => options.onError?.(error));
        await running;
        // Rows held back by an older open transaction are retried soon, not at the next sweep.
        const heldBack = await hasPending().catch(() => false);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, heldBack ? 20 : (options.sweepMs ?? 1000)).unref();
        });
        // Let the writes that triggered the wake-up settle into one batch.
        await delay(5);
      }
    })();
    return {
      async stop() {
        stopped = true;
        wake?.();
        await loop;
        await (await listening)?.unlisten().catch(() => {});
      },
    };
  }

  return { applyBatch, catchUp, drain, hasPending, start };
}
