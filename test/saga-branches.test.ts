import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PaymentActivities } from '../activities/payments.js';
import type { SeatActivities } from '../activities/seats.js';
import type { TicketActivities } from '../activities/tickets.js';
import { Failure, INTERNAL_FAILURE_REASON, reasonOf } from '../lib/failures.js';
import { reservationWorkflowId, type ReservationRequest, type ReservationSnapshot, type Ticket } from '../lib/reservations.js';
import type { reservation } from '../workflows/reservation.js';
import { cancelUpdate, payUpdate, settledUpdate } from '../workflows/reservation-messages.js';

/**
 * The reservation saga's branches, driven on the test Temporal server with fake in-memory
 * activities (no Postgres): which steps and compensations ran, in which order, with what.
 */

type SagaActivities = Pick<SeatActivities, 'holdSeats' | 'confirmSeats' | 'releaseSeats'> & Pick<PaymentActivities, 'chargePayment' | 'refundPayment'> & Pick<TicketActivities, 'issueTickets' | 'voidTickets'>;
type StepName = keyof SagaActivities;

/** One call of a fake activity, as the workflow made it. */
type Call =
  | { step: 'holdSeats'; paymentToken?: string }
  | { step: 'chargePayment'; paymentToken: string; amountCents: number }
  | { step: 'issueTickets'; seatIds: string[] }
  | { step: 'confirmSeats' }
  | { step: 'voidTickets' }
  | { step: 'refundPayment' }
  | { step: 'releaseSeats'; status: string; failureReason?: string; refundedCents: number; paymentToken?: string };

/** How one reservation's fake steps behave: a step given here throws (or answers) instead of succeeding. */
interface Script {
  holdSeats?: () => never;
  chargePayment?: () => Promise<void> | never;
  issueTickets?: () => never;
}

interface Booking {
  script: Script;
  calls: Call[];
  chargedCents: number;
}

const bookings = new Map<string, Booking>();
const bookingOf = (reservationId: string): Booking => {
  const booking = bookings.get(reservationId);
  if (!booking) throw new Error(`no script for reservation ${reservationId}`);
  return booking;
};

/** Every step records itself on its reservation; the script decides whether it fails. */
const fakeActivities: SagaActivities = {
  async holdSeats(request) {
    const booking = bookingOf(request.reservationId);
    booking.calls.push({ step: 'holdSeats', ...(request.paymentToken !== undefined ? { paymentToken: request.paymentToken } : {}) });
    booking.script.holdSeats?.();
    return { seatIds: request.seatIds, ...(request.paymentToken === undefined ? { expiresAt: new Date(Date.now() + request.holdTtlMs).toISOString() } : {}) };
  },
  async chargePayment(input) {
    const booking = bookingOf(input.reservationId);
    booking.calls.push({ step: 'chargePayment', paymentToken: input.paymentToken, amountCents: input.amountCents });
    await booking.script.chargePayment?.();
    booking.chargedCents = input.amountCents;
    return { reference: `ch_${input.reservationId}`, amountCents: input.amountCents };
  },
  async issueTickets(input) {
    const booking = bookingOf(input.reservationId);
    booking.calls.push({ step: 'issueTickets', seatIds: input.seatIds });
    booking.script.issueTickets?.();
    return input.seatIds.map((seat): Ticket => ({ code: `T-${seat}`, seat }));
  },
  async confirmSeats(request) {
    bookingOf(request.reservationId).calls.push({ step: 'confirmSeats' });
  },
  async voidTickets(input) {
    bookingOf(input.reservationId).calls.push({ step: 'voidTickets' });
    return 0;
  },
  async refundPayment(input) {
    const booking = bookingOf(input.reservationId);
    booking.calls.push({ step: 'refundPayment' });
    // Refunds what was charged, once, as the real activity does by its key.
    const refunded = booking.chargedCents;
    booking.chargedCents = 0;
    return refunded;
  },
  async releaseSeats(input) {
    const { request, status, failureReason, refundedCents } = input;
    const token = (request as Partial<ReservationRequest>).paymentToken;
    bookingOf(request.reservationId).calls.push({
      step: 'releaseSeats',
      status,
      ...(failureReason !== undefined ? { failureReason } : {}),
      refundedCents,
      ...(token !== undefined ? { paymentToken: token } : {}),
    });
  },
};

const taskQueue = `saga-branches-${randomUUID()}`;
let client: Client;
let connection: Connection;
let workerConnection: NativeConnection;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  // Native warnings forwarded and dropped: the retried charge below holds its workflow task for
  // half a minute on purpose, which the core would report every 8 seconds.
  Runtime.install({
    logger: { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: (message) => console.error(message) },
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
  });
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7243';
  workerConnection = await NativeConnection.connect({ address });
  worker = await Worker.create({
    connection: workerConnection,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: fakeActivities,
    // A fake left hanging by a failed test must not hold the file's teardown.
    shutdownGraceTime: '2 seconds',
  });
  running = worker.run();
  connection = await Connection.connect({ address });
  client = new Client({ connection });
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await workerConnection?.close();
  await connection?.close();
});

const AMOUNT_CENTS = 4500;

/** Starts a reservation of whose steps follow `script`. */
async function book(options: { paymentToken?: string; holdTtlMs?: number; script?: Script }): Promise<{ handle: WorkflowHandle<typeof reservation>; booking: Booking }> {
  const reservationId = randomUUID();
  const booking: Booking = { script: options.script ?? {}, calls: [], chargedCents: 0 };
  bookings.set(reservationId, booking);
  const request: ReservationRequest = {
    reservationId,
    eventId: randomUUID(),
    customerId: randomUUID(),
    seatIds: ['A-1', 'A-2'],
    quantity: 2,
    amountCents: AMOUNT_CENTS,
    currency: 'EUR',
    eventName: 'Saga branches',
    seating: 'reserved',
    capacity: 10,
    rows: 2,
    seatsPerRow: 5,
    holdTtlMs: options.holdTtlMs ?? 60_000,
    requestHash: 'test',
    ...(options.paymentToken !== undefined ? { paymentToken: options.paymentToken } : {}),
  };
  const handle = await client.workflow.start<typeof reservation>('reservation', { taskQueue, workflowId: reservationWorkflowId(reservationId), args: [request] });
  return { handle, booking };
}

const steps = (booking: Booking): StepName[] => booking.calls.map((call) => call.step);
const business = (type: string, message: string, details?: unknown[]) => (): never => {
  // Not flagged non-retryable: the saga's retry policies must know the type by themselves.
  throw ApplicationFailure.create({ type, message, ...(details ? { details } : {}) });
};

// Each test has its own workflow and its own fake state: they run side by side.
describe.concurrent('the reservation saga with fake activities', () => {
  it('a declined card refunds nothing and releases the seats as failed payment_declined, after voiding and refunding', async () => {
    const { handle, booking } = await book({ paymentToken: 'tok_declined', script: { chargePayment: business(Failure.PaymentDeclined, 'Card declined') } });
    const outcome = await handle.result();
    expect(outcome).toMatchObject({ status: 'failed', failureReason: reasonOf(Failure.PaymentDeclined), refundedCents: 0, tickets: [] });
    expect(steps(booking)).toEqual(['holdSeats', 'chargePayment', 'voidTickets', 'refundPayment', 'releaseSeats']);
    // Tried once: a decline is not retried. The release carries no payment token: tokens stay in the workflow.
    expect(booking.calls.find((call) => call.step === 'releaseSeats')).toEqual({ step: 'releaseSeats', status: 'failed', failureReason: 'payment_declined', refundedCents: 0 });
  });

  it('seats someone else holds end the reservation at the seat-lock: only the release runs, naming the seats', async () => {
    const { handle, booking } = await book({ paymentToken: 'tok_visa', script: { holdSeats: business(Failure.SeatsUnavailable, 'Seats no longer available: A-2', [['A-2']]) } });
    const outcome = await handle.result();
    expect(outcome).toMatchObject({ status: 'failed', failureReason: reasonOf(Failure.SeatsUnavailable), unavailableSeats: ['A-2'], refundedCents: 0 });
    expect(steps(booking)).toEqual(['holdSeats', 'releaseSeats']);
    expect(booking.calls[1]).toEqual({ step: 'releaseSeats', status: 'failed', failureReason: 'seats_unavailable', refundedCents: 0 });
  });

  it('tickets that cannot be issued for good: the charge is refunded, then the seats are released', async () => {
    const { handle, booking } = await book({ paymentToken: 'tok_visa', script: { issueTickets: business(Failure.TicketingFailed, 'Ticketing is down') } });
    const outcome = await handle.result();
    expect(outcome).toMatchObject({ status: 'failed', failureReason: reasonOf(Failure.TicketingFailed), refundedCents: AMOUNT_CENTS, tickets: [] });
    expect(steps(booking)).toEqual(['holdSeats', 'chargePayment', 'issueTickets', 'voidTickets', 'refundPayment', 'releaseSeats']);
    expect(booking.calls.at(-1)).toEqual({ step: 'releaseSeats', status: 'failed', failureReason: 'ticketing_failed', refundedCents: AMOUNT_CENTS });
  });

  it('a hold nobody pays expires after its ttl: nothing is charged and the seats are released as expired', async () => {
    const { handle, booking } = await book({ holdTtlMs: 2_000 });
    const held = await handle.executeUpdate(settledUpdate);
    expect(held.status).toBe('held');
    expect(held.expiresAt).toBeDefined();
    const outcome = await handle.result();
    expect(outcome).toMatchObject({ status: 'expired', refundedCents: 0 });
    expect(outcome.failureReason).toBeUndefined();
    expect(steps(booking)).toEqual(['holdSeats', 'voidTickets', 'refundPayment', 'releaseSeats']);
    expect(booking.calls.at(-1)).toEqual({ step: 'releaseSeats', status: 'expired', refundedCents: 0 });
  });

  it('cancelling a hold ends it cancelled without a charge, and a pay after that is refused', async () => {
    const { handle, booking } = await book({});
    expect((await handle.executeUpdate(settledUpdate)).status).toBe('held');
    expect(await handle.executeUpdate(cancelUpdate)).toEqual({ status: 'cancelled', refundedCents: 0 });
    const outcome = await handle.result();
    expect(outcome.status).toBe('cancelled');
    expect(steps(booking)).toEqual(['holdSeats', 'voidTickets', 'refundPayment', 'releaseSeats']);
    expect(booking.calls.at(-1)).toEqual({ step: 'releaseSeats', status: 'cancelled', refundedCents: 0 });
    // The API answers this 410 hold_expired: the reservation is no longer waiting for payment.
    await expect(handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }] })).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('paying a hold charges the token the pay update brought, issues the tickets and confirms, undoing nothing', async () => {
    const { handle, booking } = await book({});
    expect((await handle.executeUpdate(settledUpdate)).status).toBe('held');
    const paid = await handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }] });
    expect(paid).toMatchObject({ status: 'confirmed', refundedCents: 0, tickets: [{ code: 'T-A-1', seat: 'A-1' }, { code: 'T-A-2', seat: 'A-2' }] });
    expect(paid.expiresAt).toBeUndefined();
    expect(steps(booking)).toEqual(['holdSeats', 'chargePayment', 'issueTickets', 'confirmSeats']);
    expect(booking.calls[1]).toEqual({ step: 'chargePayment', paymentToken: 'tok_visa', amountCents: AMOUNT_CENTS });
    expect((await handle.result()).status).toBe('confirmed');
  });

  // Slow (about 25 s): a local activity holds its workflow task, so the first pay is accepted, and the
  // second delivered, only at the task's heartbeats.
  it('a second pay while the first is charging is refused as not payable, and the card is charged once', async ({ onTestFinished }) => {
    let releaseCharge = (): void => {};
    const charging = new Promise<void>((resolve) => (releaseCharge = resolve));
    // Whatever happens, the blocked charge must not outlive the test (the worker would wait for it).
    onTestFinished(() => releaseCharge());
    const { handle, booking } = await book({ script: { chargePayment: () => charging } });
    expect((await handle.executeUpdate(settledUpdate)).status).toBe('held');
    const first = await handle.startUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }], waitForStage: WorkflowUpdateStage.ACCEPTED });
    const second = await handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_mastercard' }] }).catch((error: unknown) => error);
    releaseCharge();
    expect((await first.result()).status).toBe('confirmed');
    expect(second).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (second as WorkflowUpdateFailedError).cause;
    expect(cause instanceof ApplicationFailure ? cause.type : cause).toBe(Failure.NotPayable);
    expect(booking.calls.filter((call) => call.step === 'chargePayment')).toEqual([{ step: 'chargePayment', paymentToken: 'tok_visa', amountCents: AMOUNT_CENTS }]);
  }, 50_000);

  it(
    'a charge that keeps failing outside the vocabulary is tried 8 times, then undone and recorded as internal_error',
    async () => {
      const { handle, booking } = await book({
        paymentToken: 'tok_visa',
        script: {
          chargePayment: () => {
            throw new Error('gateway exploded');
          },
        },
      });
      const outcome: ReservationSnapshot = await handle.result();
      expect(outcome).toMatchObject({ status: 'failed', failureReason: INTERNAL_FAILURE_REASON, refundedCents: 0, tickets: [] });
      expect(steps(booking)).toEqual(['holdSeats', ...Array<StepName>(8).fill('chargePayment'), 'voidTickets', 'refundPayment', 'releaseSeats']);
      expect(booking.calls.at(-1)).toEqual({ step: 'releaseSeats', status: 'failed', failureReason: 'internal_error', refundedCents: 0 });
    },
    // Eight attempts, 0.5 s doubling to 10 s between them: about 36 s.
    90_000,
  );
});
