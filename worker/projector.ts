import { setTimeout as delay } from 'node:timers/promises';
import type postgres from 'postgres';
import { MAX_CHANGES_PER_SEAT_MESSAGE, OUTBOX_CHANNEL, RESERVATION_CHANNEL, SEAT_CHANNEL, type ReservationMessage, type SeatMessage } from '../db/channels.js';
import type { SeatStatus } from '../lib/seating.js';
import type { ReservationStatus } from '../lib/reservations.js';
import { reservationNotifications } from './reservation-notifications.js';

const CURSOR = 'main';
const BATCH = 2000;
/** After a wake-up, this long for the commits that caused it to arrive together. */
const SETTLE_MS = 5;
/** How soon a failed batch, or rows held back by an open transaction, are tried again. */
const RETRY_SOON_MS = 20;

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
  reservations: { id: string; event_id: string; customer_id: string; status: ReservationStatus; quantity: number; amount_cents: number; refunded_cents: number; created_at: string }[];
  /** Outbox rows wait after these: held back by an open transaction, or beyond the batch. */
  more: boolean;
}

/** What one batch did: outbox rows consumed, and whether rows were left waiting behind them. */
export interface BatchResult {
  applied: number;
  more: boolean;
}

/**
 * Keeps the read model equal to the booking store. It reads the outbox in commit-safe order, then
 * copies the *current* state of every seat and reservation a batch mentions, so applying a batch
 * twice, or two projectors at once, still converges to the truth. The booking store is read in one
 * snapshot; the read model and the cursor move in one transaction, so they can live in different
 * databases.
 */
export function createProjector({ source, target }: ProjectorConnections) {
  /**
   * The outbox rows after the cursor that are safe to read (committed, and no older transaction
   * still open), the current state of everything they mention, and whether more rows wait behind
   * them (held back, or beyond the batch): all in one snapshot.
   */
  async function readBatch(cursor: { last_txid: string; last_outbox_id: string }): Promise<BatchInput> {
    return source.begin('isolation level repeatable read read only', async (read) => {
      // In (txid, id) order the rows an open transaction holds back come after every readable one,
      // so one more row than a batch says whether anything waits, without another statement.
      const after = await read<(OutboxRow & { ready: boolean })[]>`
        SELECT id::text, txid::text, event_id, kind, payload, txid < pg_snapshot_xmin(pg_current_snapshot()) AS ready
        FROM booking.outbox
        WHERE (txid, id) > (${cursor.last_txid}::xid8, ${cursor.last_outbox_id}::bigint)
        ORDER BY txid, id LIMIT ${BATCH + 1}`;
      const readable = after.findIndex((row) => !row.ready);
      const rows: OutboxRow[] = after.slice(0, Math.min(BATCH, readable === -1 ? after.length : readable));
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
        // The event's counts on every row, and a row without a seat when none of the ids exists.
        const found = await read<{ seat_id: string | null; status: SeatStatus | null; reservation_id: string | null; held: number; sold: number }[]>`
          SELECT s.seat_id, s.status, s.reservation_id, c.held, c.sold
          FROM (SELECT count(*) FILTER (WHERE status = 'held')::int AS held, count(*) FILTER (WHERE status = 'sold')::int AS sold
                FROM booking.seats WHERE event_id = ${eventId}) c
          LEFT JOIN booking.seats s ON s.event_id = ${eventId} AND s.seat_id = ANY(${[...seatIds]}::text[])`;
        const current = found.flatMap((seat) => (seat.seat_id !== null && seat.status !== null ? [{ seat_id: seat.seat_id, status: seat.status, reservation_id: seat.reservation_id }] : []));
        seats.set(eventId, { current, held: found[0]?.held ?? 0, sold: found[0]?.sold ?? 0 });
      }
      const reservations =
        reservationIds.size === 0
          ? []
          : await read<BatchInput['reservations']>`
              SELECT id, event_id, customer_id, status, quantity, amount_cents, refunded_cents, created_at::text FROM booking.reservations WHERE id = ANY(${[...reservationIds]}::uuid[])`;
      return { rows, seats, reservations, more: after.length > rows.length };
    });
  }

  /** Applies one batch. */
  async function applyBatch(): Promise<BatchResult> {
    return target.begin(async (tx) => {
      // One projector at a time moves the cursor; a second one waits here, then sees the new cursor.
      const [cursor] = await tx<{ last_txid: string; last_outbox_id: string }[]>`
        INSERT INTO readmodel.projection_cursors (name) VALUES (${CURSOR})
        ON CONFLICT (name) DO UPDATE SET name = excluded.name
        RETURNING last_txid::text, last_outbox_id::text`;
      if (!cursor) throw new Error('projection cursor missing');
      const { rows, seats, reservations, more } = await readBatch(cursor);
      if (rows.length === 0) return { applied: 0, more };

      // Every message of the batch, sent by one statement at the end, in this order.
      const messages: { channel: string; payload: string }[] = [];
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
        const count = Math.max(1, Math.ceil(changes.length / MAX_CHANGES_PER_SEAT_MESSAGE));
        const [availability] = await tx<{ version: string }[]>`
          INSERT INTO readmodel.event_availability (event_id, held, sold, version, updated_at)
          VALUES (${eventId}, ${held}, ${sold}, ${count}, now())
          ON CONFLICT (event_id) DO UPDATE SET held = excluded.held, sold = excluded.sold,
            version = readmodel.event_availability.version + ${count}, updated_at = now()
          RETURNING version::text`;
        const lastVersion = Number(availability?.version ?? count);
        for (let index = 0; index < count; index++) {
          const message: SeatMessage = {
            eventId,
            version: lastVersion - count + 1 + index,
            changes: changes.slice(index * MAX_CHANGES_PER_SEAT_MESSAGE, (index + 1) * MAX_CHANGES_PER_SEAT_MESSAGE),
            held,
            sold,
          };
          messages.push({ channel: SEAT_CHANNEL, payload: JSON.stringify(message) });
        }
      }

      if (reservations.length > 0) {
        // Instants travel as text: drizzle's driver, sharing this client, sends timestamptz[] unserialised.
        await tx`
          INSERT INTO readmodel.reservation_summaries (id, event_id, customer_id, status, quantity, amount_cents, refunded_cents, created_at, updated_at)
          SELECT id, event_id, customer_id, status::booking.reservation_status, quantity, amount_cents, refunded_cents, created_at::timestamptz, now()
          FROM unnest(
            ${reservations.map((r) => r.id)}::uuid[], ${reservations.map((r) => r.event_id)}::uuid[], ${reservations.map((r) => r.customer_id)}::uuid[],
            ${reservations.map((r) => r.status)}::text[], ${reservations.map((r) => r.quantity)}::int[], ${reservations.map((r) => r.amount_cents)}::int[],
            ${reservations.map((r) => r.refunded_cents)}::int[], ${reservations.map((r) => r.created_at)}::text[]
          ) AS t(id, event_id, customer_id, status, quantity, amount_cents, refunded_cents, created_at)
          ON CONFLICT (id) DO UPDATE SET status = excluded.status, quantity = excluded.quantity, refunded_cents = excluded.refunded_cents,
            created_at = excluded.created_at, updated_at = now()`;
        for (const reservation of reservations) {
          const message: ReservationMessage = { id: reservation.id, eventId: reservation.event_id, customerId: reservation.customer_id, status: reservation.status };
          messages.push({ channel: RESERVATION_CHANNEL, payload: JSON.stringify(message) });
        }
      }

      // Delivered at commit, in commit order, and in the order of the array (a client checks seat
      // versions one by one).
      if (messages.length > 0) {
        await tx`
          SELECT count(pg_notify(channel, payload)) FROM (
            SELECT channel, payload FROM unnest(${messages.map((m) => m.channel)}::text[], ${messages.map((m) => m.payload)}::text[]) WITH ORDINALITY AS t(channel, payload, n)
            ORDER BY n
          ) AS ordered`;
      }

      // In the cursor's transaction, keyed by reservation and status: a batch applied twice, or by
      // two projectors, tells the customer once per change.
      await reservationNotifications(tx, rows);

      const last = rows[rows.length - 1];
      if (!last) return { applied: 0, more };
      await tx`UPDATE readmodel.projection_cursors SET last_txid = ${last.txid}::xid8, last_outbox_id = ${last.id}::bigint WHERE name = ${CURSOR}`;
      return { applied: rows.length, more };
    });
  }

  /**
   * Applies batches until the outbox has nothing more to give right now; says whether rows were
   * left waiting (held back by a transaction still open).
   */
  async function catchUp(): Promise<BatchResult> {
    let applied = 0;
    for (;;) {
      const batch = await applyBatch();
      applied += batch.applied;
      if (batch.applied < BATCH) return { applied, more: batch.more };
    }
  }

  /** Catches up until nothing committed is left, or throws after `timeoutMs`. */
  async function drain(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { more } = await catchUp();
      if (!more) return;
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
    let wake: (() => void) | undefined;
    // A NOTIFY that arrives while a batch is being read or applied may be for a commit the batch did
    // not see: the loop then goes round again instead of waiting.
    let notified = false;
    let listenedOnce = false;
    const onNotify = () => {
      notified = true;
      wake?.();
    };
    // postgres.js re-issues LISTEN whenever its connection closes, retrying until Postgres answers;
    // NOTIFYs sent meanwhile are lost, so a re-established LISTEN catches up at once (the sweep
    // would, a little later). If Postgres is down at start the first LISTEN fails, and the same
    // retry takes over: the failure is only logged.
    const onListen = () => {
      if (listenedOnce) options.onRelisten?.();
      listenedOnce = true;
      onNotify();
    };
    const listening = source.listen(OUTBOX_CHANNEL, onNotify, onListen).catch((error: unknown) => {
      options.onError?.(error);
      return undefined;
    });
    const loop = (async () => {
      while (!stopped) {
        notified = false;
        const batch = await catchUp().catch((error: unknown) => {
          options.onError?.(error);
          return undefined;
        });
        // A failed batch is tried again soon, and never at once, however many NOTIFYs come meanwhile.
        if ((batch === undefined || !notified) && !stopped) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            // Rows held back by an older open transaction are retried soon, not at the next sweep.
            setTimeout(resolve, batch === undefined || batch.more ? RETRY_SOON_MS : (options.sweepMs ?? 1000)).unref();
          });
          wake = undefined;
        }
        // Let the writes that triggered the wake-up settle into one batch.
        if (!stopped) await delay(SETTLE_MS);
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

  return { applyBatch, catchUp, drain, start };
}
