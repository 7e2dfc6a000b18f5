/**
 * `npm run replay:record`: runs every path of the reservation sagas against a real Temporal dev
 * server and real Postgres (both its own: port 7299 and database boxoffice_record), and saves
 * each workflow's history under test/histories/ for the replay tests. Run it again after an
 * intended change of workflow code, and commit the new histories with that change. Names given
 * as arguments (`npm run replay:record -- event-reminders best-available-`) record only those
 * scenarios; a name ending in `-` stands for every scenario it begins.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import postgres from 'postgres';
import { runMigrations } from '../db/migrate.js';
import { defaultDatabaseUrl, loadConfig } from '../lib/config.js';
import { Failure } from '../lib/failures.js';
import { cancellationWorkflowId, eventCancellationWorkflowId, reservationWorkflowId, type ReservationRequest } from '../lib/reservations.js';
import { createActivities } from '../worker/activities.js';
import { createReservationWorker } from '../worker/create-worker.js';
import { cancelUpdate, payUpdate, settledUpdate } from '../workflows/reservation-messages.js';
import type { checkIn, eventCancellation, eventReminders, eventWaitlist, reservation, reservationCancellation, twoPhaseReservation, waitingRoom } from '../workflows/index.js';
import { eventCancelledSignal, joinUpdate, leaveUpdate } from '../workflows/waitlist-messages.js';
import { waitlistWorkflowId, type JoinRequest } from '../lib/waitlist.js';
import { queueChangedSignal } from '../workflows/waiting-room-messages.js';
import { waitingRoomWorkflowId } from '../lib/waiting-room.js';
import { eventChangedSignal } from '../workflows/reminder-messages.js';
import { eventRemindersWorkflowId } from '../lib/notifications.js';
import { findTemporalCli, startDevServer } from './temporal-cli.js';

const port = Number(process.env.RECORD_TEMPORAL_PORT ?? 7299);
const databaseUrl = process.env.RECORD_DATABASE_URL ?? `${defaultDatabaseUrl}_record`;
const outDir = path.resolve('test', 'histories');

Runtime.install({ logger: { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: (message) => console.error(message) } });

const scratch = mkdtempSync(path.join(os.tmpdir(), 'boxoffice-record-'));
const cli = findTemporalCli();
const server = await startDevServer({ cli, port, dbFile: path.join(scratch, 'temporal.sqlite'), logFile: path.join(scratch, 'temporal.log') });
const maintenance = postgres(databaseUrl.replace(/\/[^/]+$/, '/postgres'), { max: 1, onnotice: () => {} });
await maintenance.unsafe(`DROP DATABASE IF EXISTS "${new URL(databaseUrl).pathname.slice(1)}" WITH (FORCE)`);
await maintenance.end();
await runMigrations(databaseUrl);

const only = new Set(process.argv.slice(2));
// Reminders seconds before the start, and waiting-list offers of seconds, so that their scenarios take seconds.
const cfg = loadConfig({ REMINDER_OFFSETS_SECONDS: '2,1', WAITLIST_OFFER_TTL_MS: '2000', ...process.env, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: server.address, TASK_QUEUE: `record-${randomUUID()}` });
const failingCfg = { ...cfg, TASK_QUEUE: `${cfg.TASK_QUEUE}-ticketing-down` };
const resources = createActivities(cfg, { poolSize: 4 });
const normal = await createReservationWorker(cfg, resources.activities);
const failing = await createReservationWorker(failingCfg, {
  ...resources.activities,
  issueTickets: async () => {
    throw ApplicationFailure.create({ type: Failure.TicketingFailed, message: 'Ticketing is down', nonRetryable: true });
  },
});
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection });

function request(overrides: Partial<ReservationRequest> = {}): ReservationRequest {
  return {
    reservationId: randomUUID(),
    eventId: overrides.eventId ?? randomUUID(),
    eventName: 'Replay recording',
    customerId: randomUUID(),
    seating: 'reserved',
    seatIds: ['A-1', 'A-2'],
    quantity: 2,
    capacity: 20,
    rows: 2,
    seatsPerRow: 10,
    amountCents: 5000,
    currency: 'EUR',
    paymentToken: 'tok_visa',
    holdTtlMs: 600_000,
    requestHash: 'recorded',
    ...overrides,
  };
}

async function startReservation(input: ReservationRequest, taskQueue = cfg.TASK_QUEUE): Promise<WorkflowHandle<typeof reservation>> {
  return client.workflow.start<typeof reservation>('reservation', { workflowId: reservationWorkflowId(input.reservationId), taskQueue, args: [input] });
}

const recorded: Record<string, WorkflowHandle> = {};
const wanted = (name: string): boolean => only.size === 0 || [...only].some((given) => (given.endsWith('-') ? name.startsWith(given) : name === given));
async function scenario(name: string, run: () => Promise<WorkflowHandle>): Promise<void> {
  if (!wanted(name)) return;
  const handle = await run();
  await handle.result().catch(() => undefined);
  recorded[name] = handle;
  console.log(`recorded ${name}`);
}

const workers = Promise.all([normal.worker.run(), failing.worker.run()]);
try {
  await scenario('confirmed', () => startReservation(request()));
  await scenario('general-admission', () => startReservation(request({ seating: 'general', seatIds: [], quantity: 3, capacity: 50, rows: undefined, seatsPerRow: undefined })));
  // Since seatIdsWithStatus the units go into the search attributes with the status; 'general-admission'
  // stays as recorded before (it must still replay).
  await scenario('general-admission-one-upsert', () => startReservation(request({ seating: 'general', seatIds: [], quantity: 3, capacity: 50, rows: undefined, seatsPerRow: undefined, seatIdsWithStatus: true })));
  await scenario('general-admission-hold-then-pay', async () => {
    const handle = await startReservation(request({ seating: 'general', seatIds: [], quantity: 2, capacity: 50, rows: undefined, seatsPerRow: undefined, paymentToken: undefined, seatIdsWithStatus: true }));
    await handle.executeUpdate(settledUpdate);
    await handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }] });
    return handle;
  });
  await scenario('payment-declined', () => startReservation(request({ paymentToken: 'tok_declined' })));
  await scenario('payment-flaky', () => startReservation(request({ paymentToken: 'tok_flaky' })));
  const contested = request();
  if (wanted('seats-unavailable')) await (await startReservation(contested)).result();
  await scenario('seats-unavailable', () => startReservation(request({ eventId: contested.eventId })));
  await scenario('ticketing-down', () => startReservation(request(), failingCfg.TASK_QUEUE));
  await scenario('hold-then-pay', async () => {
    const handle = await startReservation(request({ paymentToken: undefined }));
    await handle.executeUpdate(settledUpdate);
    await handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }] });
    return handle;
  });
  await scenario('hold-expired', () => startReservation(request({ paymentToken: undefined, holdTtlMs: 1000 })));
  await scenario('hold-cancelled', async () => {
    const handle = await startReservation(request({ paymentToken: undefined }));
    await handle.executeUpdate(settledUpdate);
    await handle.executeUpdate(cancelUpdate);
    return handle;
  });
  const toCancel = request();
  if (wanted('confirmed-then-cancelled')) await (await startReservation(toCancel)).result();
  await scenario('confirmed-then-cancelled', () =>
    client.workflow.start<typeof reservationCancellation>('reservationCancellation', { workflowId: cancellationWorkflowId(toCancel.reservationId), taskQueue: cfg.TASK_QUEUE, args: [toCancel] }),
  );
  if (wanted('event-cancelled')) {
    // The hold ends only through the event's cancellation: set up only when that is recorded.
    const eventId = randomUUID();
    await (await startReservation(request({ eventId }))).result();
    const held = await startReservation(request({ eventId, seatIds: ['B-1'], quantity: 1, paymentToken: undefined }));
    await held.executeUpdate(settledUpdate);
    await scenario('event-cancelled', () =>
      client.workflow.start<typeof eventCancellation>('eventCancellation', { workflowId: eventCancellationWorkflowId(eventId), taskQueue: cfg.TASK_QUEUE, args: [{ eventId, capacity: 20 }] }),
    );
    await held.result();
  }
  const sql = postgres(databaseUrl, { max: 1 });
  const [ticket] = await sql<{ code: string }[]>`SELECT code FROM ticketing.tickets WHERE status = 'valid' LIMIT 1`;
  await sql.end();
  // The two-phase-commit alternative (docs/saga-vs-2pc.md): one activity, three outcomes.
  const startTwoPhase = (input: ReservationRequest) =>
    client.workflow.start<typeof twoPhaseReservation>('twoPhaseReservation', { workflowId: reservationWorkflowId(input.reservationId), taskQueue: cfg.TASK_QUEUE, args: [input] });
  await scenario('two-phase-confirmed', () => startTwoPhase(request()));
  await scenario('two-phase-declined', () => startTwoPhase(request({ paymentToken: 'tok_declined' })));
  const taken = request();
  if (wanted('two-phase-seats-unavailable')) await (await startTwoPhase(taken)).result();
  await scenario('two-phase-seats-unavailable', () => startTwoPhase(request({ eventId: taken.eventId })));
  // Best available (docs/best-available.md): the seat-lock picks the seats; then a room with none left.
  await scenario('best-available-confirmed', () => startReservation(request({ seatIds: [], quantity: 3, bestAvailable: true })));
  const full = request({ rows: 1, seatsPerRow: 2, capacity: 2 });
  if (wanted('best-available-sold-out')) await (await startReservation(full)).result();
  await scenario('best-available-sold-out', () => startReservation(request({ eventId: full.eventId, rows: 1, seatsPerRow: 2, capacity: 2, seatIds: [], quantity: 1, bestAvailable: true })));
  await scenario('check-in', () => client.workflow.start<typeof checkIn>('checkIn', { workflowId: `check-in-${randomUUID()}`, taskQueue: cfg.TASK_QUEUE, args: [{ code: ticket?.code ?? '' }] }));

  // Event reminders (workflows/event-reminders.ts): sent at both offsets; moved; cancelled.
  const owner = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  async function remindedEvent(startsInMs: number): Promise<{ eventId: string; startsAt: string }> {
    const startsAt = new Date(Date.now() + startsInMs).toISOString();
    const [row] = await owner<{ id: string }[]>`
      INSERT INTO catalog.events (organizer_id, name, venue, starts_at, price_cents, seating_type, capacity)
      VALUES (${randomUUID()}, 'Replay reminders', 'Hall', ${startsAt}, 1000, 'general', 10) RETURNING id`;
    const eventId = row?.id ?? '';
    await owner`INSERT INTO notify.subscriptions (event_id, user_id) VALUES (${eventId}, ${randomUUID()}), (${eventId}, ${randomUUID()})`;
    return { eventId, startsAt };
  }
  const startReminders = ({ eventId, startsAt }: { eventId: string; startsAt: string }) =>
    client.workflow.start<typeof eventReminders>('eventReminders', { workflowId: eventRemindersWorkflowId(eventId), taskQueue: cfg.TASK_QUEUE, args: [{ eventId, startsAt }] });
  await scenario('event-reminders', async () => startReminders(await remindedEvent(3_000)));
  await scenario('event-reminders-moved', async () => {
    const event = await remindedEvent(3_000);
    const handle = await startReminders(event);
    await owner`UPDATE catalog.events SET starts_at = starts_at + interval '2 seconds', updated_at = now() WHERE id = ${event.eventId}`;
    await handle.signal(eventChangedSignal);
    return handle;
  });
  await scenario('event-reminders-cancelled', async () => {
    const event = await remindedEvent(60_000);
    const handle = await startReminders(event);
    await owner`UPDATE catalog.events SET status = 'cancelled', updated_at = now() WHERE id = ${event.eventId}`;
    await handle.signal(eventChangedSignal);
    return handle;
  });

  // The waiting list (workflows/event-waitlist.ts, docs/waiting-list.md): a sold-out room of two
  // seats whose sale is cancelled; the seats are offered to the one waiting, whose offer (a
  // reservation saga that finds its seats held for it) expires; the list closes when the event starts.
  async function soldOutRoom(startsInMs: number): Promise<{ eventId: string; sale: ReservationRequest; join: (customerId: string) => Promise<WorkflowHandle<typeof eventWaitlist>> }> {
    const startsAt = new Date(Date.now() + startsInMs).toISOString();
    const [row] = await owner<{ id: string }[]>`
      INSERT INTO catalog.events (organizer_id, name, venue, starts_at, price_cents, seating_type, rows, seats_per_row, capacity)
      VALUES (${randomUUID()}, 'Replay waiting list', 'Hall', ${startsAt}, 1000, 'reserved', 1, 2, 2) RETURNING id`;
    const eventId = row?.id ?? '';
    const sale = request({ eventId, rows: 1, seatsPerRow: 2, capacity: 2, startsAt });
    await (await startReservation(sale)).result();
    const join = async (customerId: string) => {
      const joining: JoinRequest = { customerId, quantity: 2, template: { eventName: 'Replay waiting list', seating: 'reserved', capacity: 2, rows: 1, seatsPerRow: 2, amountCents: 2000, currency: 'EUR', startsAt } };
      await client.workflow.executeUpdateWithStart(joinUpdate, {
        args: [joining],
        startWorkflowOperation: new WithStartWorkflowOperation<typeof eventWaitlist>('eventWaitlist', { workflowId: waitlistWorkflowId(eventId), taskQueue: cfg.TASK_QUEUE, args: [{ eventId, startsAt }], workflowIdConflictPolicy: 'USE_EXISTING' }),
      });
      return client.workflow.getHandle<typeof eventWaitlist>(waitlistWorkflowId(eventId));
    };
    return { eventId, sale, join };
  }
  if (wanted('waitlist-offer') || wanted('waitlist-offer-expired')) {
    const room = await soldOutRoom(8_000);
    const waiting = await room.join(randomUUID());
    await client.workflow.execute<typeof reservationCancellation>('reservationCancellation', { workflowId: cancellationWorkflowId(room.sale.reservationId), taskQueue: cfg.TASK_QUEUE, args: [room.sale] });
    const [offer] = await pollOffer(room.eventId);
    await scenario('waitlist-offer-expired', async () => client.workflow.getHandle(reservationWorkflowId(offer?.reservation_id ?? '')));
    await scenario('waitlist-offer', async () => waiting);
  }
  await scenario('waitlist-left', async () => {
    const room = await soldOutRoom(3_000);
    const customerId = randomUUID();
    const waiting = await room.join(customerId);
    await waiting.executeUpdate(leaveUpdate, { args: [{ customerId }] });
    return waiting;
  });
  // The event cancelled with one offer made and one customer still in line: the API's signal wakes
  // the list (which would otherwise sleep an hour), which closes the line and tells who was in it.
  await scenario('waitlist-event-cancelled', async () => {
    const room = await soldOutRoom(600_000);
    const waiting = await room.join(randomUUID());
    await room.join(randomUUID());
    await client.workflow.execute<typeof reservationCancellation>('reservationCancellation', { workflowId: cancellationWorkflowId(room.sale.reservationId), taskQueue: cfg.TASK_QUEUE, args: [room.sale] });
    await pollOffer(room.eventId);
    await owner`UPDATE catalog.events SET status = 'cancelled', updated_at = now() WHERE id = ${room.eventId}`;
    await client.workflow.signalWithStart<typeof eventWaitlist>('eventWaitlist', { workflowId: waiting.workflowId, taskQueue: cfg.TASK_QUEUE, args: [{ eventId: room.eventId }], signal: eventCancelledSignal });
    return waiting;
  });
  async function pollOffer(eventId: string): Promise<{ reservation_id: string }[]> {
    for (let tries = 0; tries < 200; tries++) {
      const rows = await owner<{ reservation_id: string }[]>`SELECT reservation_id::text FROM booking.waitlist WHERE event_id = ${eventId} AND status = 'offered' AND announced`;
      if (rows.length > 0) return rows;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no offer announced for ${eventId}`);
  }
  // The waiting room (workflows/waiting-room.ts): a timer to the opening, the draw, admission ticks
  // until the event sells out; and a queue closed before its opening by the event's cancellation.
  async function queuedEvent(opensInMs: number, admitPerMinute: number | null): Promise<string> {
    const opensAt = new Date(Date.now() + opensInMs);
    const [row] = await owner<{ id: string }[]>`
      INSERT INTO catalog.events (organizer_id, name, venue, starts_at, price_cents, seating_type, capacity, queue_opens_at, queue_join_opens_at, queue_admit_per_minute)
      VALUES (${randomUUID()}, 'Replay on-sale', 'Arena', ${new Date(Date.now() + 86_400_000)}, 1000, 'general', 1, ${opensAt}, ${new Date(Date.now() - 1000)}, ${admitPerMinute})
      RETURNING id`;
    const eventId = row?.id ?? '';
    await owner`INSERT INTO waitroom.queues (event_id) VALUES (${eventId})`;
    for (let key = 0; key < 3; key++) await owner`INSERT INTO waitroom.places (event_id, account_id, draw_key, status) VALUES (${eventId}, ${randomUUID()}, ${key}, 'pre_queue')`;
    return eventId;
  }
  const startOnSale = (eventId: string) =>
    client.workflow.start<typeof waitingRoom>('waitingRoom', { workflowId: waitingRoomWorkflowId(eventId), taskQueue: cfg.TASK_QUEUE, args: [{ eventId, tickMs: 300 }] });
  await scenario('waiting-room-sold-out', async () => {
    const eventId = await queuedEvent(1_000, null);
    const handle = await startOnSale(eventId);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await owner`INSERT INTO readmodel.event_availability (event_id, held, sold) VALUES (${eventId}, 0, 1)`;
    return handle;
  });
  await scenario('waiting-room-idle', async () => {
    // All three admitted at the first tick (a fixed 6,000 a minute), then nobody waits: the run
    // sleeps (the idle-sleep marker, a long timer) until a join's signal wakes it, here to a sell-out.
    const eventId = await queuedEvent(1_000, 6_000);
    const handle = await startOnSale(eventId);
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    await owner`INSERT INTO readmodel.event_availability (event_id, held, sold) VALUES (${eventId}, 0, 1)`;
    await handle.signal(queueChangedSignal);
    return handle;
  });
  await scenario('waiting-room-closed', async () => {
    const eventId = await queuedEvent(60_000, 120);
    const handle = await startOnSale(eventId);
    await owner`UPDATE catalog.events SET status = 'cancelled', updated_at = now() WHERE id = ${eventId}`;
    await handle.signal(queueChangedSignal);
    return handle;
  });
  await owner.end();

  mkdirSync(outDir, { recursive: true });
  for (const [name, handle] of Object.entries(recorded)) {
    // The CLI's JSON is the format historyFromJSON reads back.
    const shown = spawnSync(cli, ['workflow', 'show', '--address', server.address, '--workflow-id', handle.workflowId, '--output', 'json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (shown.status !== 0) throw new Error(`temporal workflow show failed for ${name}: ${shown.stderr}`);
    writeFileSync(path.join(outDir, `${name}.json`), shown.stdout.trimEnd() + '\n');
  }
  console.log(`wrote ${Object.keys(recorded).length} histories to ${outDir}`);
} finally {
  normal.worker.shutdown();
  failing.worker.shutdown();
  await workers;
  await resources.close();
  await connection.close();
  await server.stop();
  rmSync(scratch, { recursive: true, force: true });
}
