import type { ErrorBody, EventCancelling } from '../api/contract/index.js';
import { setTimeout as delay } from 'node:timers/promises';
import type { Seating } from '../lib/seating.js';
import { errorCodeOf, TransportError } from './http-client.js';
import type { RunEvent } from './ledger.js';
import type { RunContext } from './run-context.js';
import { createEvent, newRunEvent } from './setup.js';

/** A new short-lived event this often; each lives this long while clients book it, then is deleted. */
const CREATE_EVERY_MS = 1000;
const LIFETIME_MS = 1500;
const MAX_EVENTS = 200;

/** Small rooms: they should see bookings, holds and sales before they are deleted. */
const ephemeralSeating = (main: Seating): Seating => (main.type === 'reserved' ? { type: 'reserved', rows: 4, seatsPerRow: 10 } : { type: 'general', capacity: 50 });

/**
 * --create-delete-events: while the booking runs, the organizer keeps creating events and deleting
 * them (DELETE cancels every live reservation through its own workflow). Every event it created is
 * deleted by the time it returns.
 */
export async function runEventChurn(run: RunContext, runId: string): Promise<void> {
  const deletions: Promise<void>[] = [];
  const live = new Set<RunEvent>();
  for (let n = 0; n < MAX_EVENTS && !run.stopping; n++) {
    const nextAt = run.now() + CREATE_EVERY_MS;
    const event = await createEphemeral(run, runId, n);
    if (event) {
      live.add(event);
      deletions.push(
        sleepUnlessStopping(run, LIFETIME_MS).then(async () => {
          if (live.delete(event)) await deleteEvent(run, event);
        }),
      );
    }
    await sleepUnlessStopping(run, nextAt - run.now());
  }
  for (const event of live) {
    live.delete(event);
    deletions.push(deleteEvent(run, event));
  }
  await Promise.all(deletions);
}

async function sleepUnlessStopping(run: RunContext, ms: number): Promise<void> {
  const until = run.now() + ms;
  for (let i = 0; i < 10_000 && !run.stopping && run.now() < until; i++) await delay(Math.min(50, Math.max(1, until - run.now())));
}

async function createEphemeral(run: RunContext, runId: string, n: number): Promise<RunEvent | undefined> {
  const start = run.now();
  const seating = ephemeralSeating(run.options.seating);
  let id: string | undefined;
  let errorCode: string | undefined;
  try {
    id = await createEvent(run.api, run.organizer, seating, `Load test ${runId} short-lived #${n + 1}`);
  } catch (error) {
    errorCode = error instanceof Error ? error.message : String(error);
  }
  const end = run.now();
  run.record({ kind: 'create-event', client: -1, eventId: id ?? '', seats: 0, start, end, latencyMs: end - start, status: id ? 201 : 0, outcome: id ? 'ok' : 'failed', ...(errorCode ? { errorCode } : {}), httpCalls: 1 });
  if (!id) return undefined;
  const event = newRunEvent(id, seating, true, end);
  run.ledger.add(event);
  return event;
}

async function deleteEvent(run: RunContext, event: RunEvent): Promise<void> {
  const start = run.now();
  // Clients stop choosing it before the DELETE goes out; bookings already in flight race the deletion.
  event.deletedAt = start;
  let status = 0;
  let errorCode: string | undefined;
  try {
    const answer = await run.api.delete<EventCancelling | ErrorBody>(`/api/events/${event.id}`, run.organizer.token);
    status = answer.status;
    if (answer.status !== 202) errorCode = errorCodeOf(answer);
  } catch (error) {
    if (!(error instanceof TransportError)) throw error;
    errorCode = error.code;
  }
  const end = run.now();
  run.record({ kind: 'delete-event', client: -1, eventId: event.id, seats: 0, start, end, latencyMs: end - start, status, outcome: errorCode ? 'failed' : 'ok', ...(errorCode ? { errorCode } : {}), httpCalls: 1 });
}
