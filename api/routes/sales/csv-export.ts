import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type postgres from 'postgres';
import type { ReservationStatus } from '../../../lib/reservations.js';
import type { Logger } from '../../../lib/logger.js';
import { salesCsvColumns } from '../../contract/index.js';

/** Rows fetched per round trip: memory stays bounded however many reservations an event has. */
const CURSOR_ROWS = 500;

interface ReservationLine {
  id: string;
  status: ReservationStatus;
  seat_ids: string[];
  quantity: number;
  amount_cents: number;
  refunded_cents: number;
  currency: string;
  /** ISO 8601 in UTC, formatted by Postgres: drizzle turns the pool's own date parsing off. */
  created_at: string;
  updated_at: string;
}

const iso = 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"';

/** The event's reservations from the booking store, oldest first, one cursor batch at a time. */
async function* reservationBatches(booking: postgres.Sql, eventId: string): AsyncGenerator<ReservationLine[]> {
  yield* booking<ReservationLine[]>`
    SELECT id, status, seat_ids, quantity, amount_cents, refunded_cents, currency,
      to_char(created_at AT TIME ZONE 'UTC', ${iso}) AS created_at, to_char(updated_at AT TIME ZONE 'UTC', ${iso}) AS updated_at
    FROM booking.reservations WHERE event_id = ${eventId} ORDER BY created_at, id`.cursor(CURSOR_ROWS);
}

/** One CSV record, in the order of salesCsvColumns; the seat list is one field (the writer quotes it). */
const record = (line: ReservationLine): (string | number)[] => [
  line.id,
  line.status,
  line.seat_ids.join(','),
  line.quantity,
  line.amount_cents,
  line.refunded_cents,
  line.currency,
  line.created_at,
  line.updated_at,
];

/**
 * The sales CSV of one event as a stream (csv-stringify), fed by a postgres.js cursor with
 * back-pressure: a slow client slows the cursor down. The first batch is read before the stream is
 * returned, so a booking store that does not answer is still an error answer (503) rather than a
 * 200 that breaks off. A client that goes away destroys the stream, which closes the cursor.
 */
export async function salesCsvStream(booking: postgres.Sql, eventId: string, logger: Logger): Promise<Readable> {
  const batches = reservationBatches(booking, eventId);
  const first = await batches.next();
  async function* records() {
    try {
      if (first.done) return;
      for (const line of first.value) yield record(line);
      for await (const batch of batches) for (const line of batch) yield record(line);
    } finally {
      // Also when the client left halfway: the cursor gives its connection back.
      await batches.return(undefined);
    }
  }
  const csv = stringify({ header: true, columns: [...salesCsvColumns] });
  pipeline(Readable.from(records()), csv).catch((error: unknown) => {
    // After the headers went out there is no error answer left: the transfer breaks off instead.
    const clientLeft = error instanceof Error && 'code' in error && error.code === 'ERR_STREAM_PREMATURE_CLOSE';
    if (clientLeft) logger.debug({ eventId }, 'sales CSV: the client went away');
    else logger.warn({ err: error, eventId }, 'sales CSV stream broke off');
  });
  return csv;
}
