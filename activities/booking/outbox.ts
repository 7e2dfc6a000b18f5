import type postgres from 'postgres';
import { OUTBOX_CHANNEL } from '../../db/channels.js';

/** One seat's new status, as the projection applies it. */
export type SeatChange = { id: string; status: 'available' | 'held' | 'sold' };

/**
 * Records a change for the projection. The NOTIFY only wakes it early; a transaction to be prepared
 * may not NOTIFY (Postgres refuses), so the two-phase path notifies after COMMIT PREPARED.
 */
export async function appendOutbox(tx: postgres.TransactionSql, eventId: string, kind: 'seats' | 'reservation', payload: Record<string, unknown>, notify = true): Promise<void> {
  await tx`INSERT INTO booking.outbox (event_id, kind, payload) VALUES (${eventId}, ${kind}, ${JSON.stringify(payload)}::jsonb)`;
  if (notify) await tx`SELECT pg_notify(${OUTBOX_CHANNEL}, ${eventId})`;
}
