import { setTimeout as delay } from 'node:timers/promises';
import { seatStates } from './api.js';
import { book, cancel, newIdempotencyKey, type BookingPlan } from './booking.js';
import type { RunEvent } from './ledger.js';
import type { Customer, RunContext } from './run-context.js';

/** A client that finds nothing to book waits this long before looking again. */
const IDLE_WAIT_MS = 25;
/** How often one view may re-read the seat map when it believes nothing is free. */
const SEAT_MAP_REFRESH_MS = 250;
/** Bounds every loop by count as well as by time. */
const MAX_ITERATIONS = 10_000_000;
/** With --create-delete-events, the share of bookings aimed at the short-lived events. */
const EPHEMERAL_SHARE = 0.3;

/** Whether the client did something, or found nothing to do (and should wait a little). */
type Step = 'busy' | 'idle';

/** Closed mode: `connections` clients, each sends its next booking when the last one is answered. */
export async function runClosedClients(run: RunContext): Promise<void> {
  await Promise.all(
    Array.from({ length: run.options.connections }, async (_, connection) => {
      for (let i = 0; i < MAX_ITERATIONS && !run.stopping; i++) {
        if ((await step(run, connection)) === 'idle') await delay(IDLE_WAIT_MS);
      }
    }),
  );
}

/**
 * Open mode: bookings arrive at a fixed rate whatever the answers, as real customers do. At most
 * `connections` are in flight; an arrival beyond that is counted as dropped rather than queued,
 * so a slow system shows up as drops instead of a hidden backlog in the load generator.
 */
export async function runOpenArrivals(run: RunContext): Promise<void> {
  const interval = 1000 / run.options.ratePerSecond;
  const running = new Set<Promise<unknown>>();
  let due = run.now();
  let arrival = 0;
  for (let i = 0; i < MAX_ITERATIONS && !run.stopping; i++) {
    const now = run.now();
    while (due <= now && !run.stopping) {
      due += interval;
      // Counted from launch, not from the HTTP call: an arrival still choosing its seats is in flight too.
      if (running.size >= run.options.connections) {
        run.droppedArrivals++;
        continue;
      }
      const task: Promise<unknown> = step(run, arrival++).finally(() => running.delete(task));
      running.add(task);
    }
    await delay(Math.max(1, Math.min(20, due - run.now())));
  }
  await Promise.all(running);
}

/**
 * The next action of the client on `connection`: with probability --cancel-rate, cancelling one of its
 * confirmed bookings (so a full room keeps turning over), otherwise a booking.
 */
async function step(run: RunContext, connection: number): Promise<Step> {
  const customer = run.customers[connection % run.customers.length];
  if (!customer) return 'idle';
  if (run.random.chance(run.options.cancelRate)) {
    const booking = run.ledger.takeForCancelling(customer.index, (ids) => run.random.pick(ids));
    if (booking) {
      run.inFlight++;
      try {
        await cancel(run, booking, customer);
      } finally {
        run.inFlight--;
      }
      return 'busy';
    }
  }
  const plan = run.options.sameRequest === 'off' ? await freshPlan(run, customer) : samePlan(run, customer, connection);
  if (!plan) return 'idle';
  run.inFlight++;
  try {
    const { record, takenSeats } = await book(run, plan);
    if (plan.seatIds && plan.sameRequest === undefined) {
      const view = run.viewFor(customer, plan.event);
      if (record.outcome === 'confirmed') view.learn(plan.seatIds, 'sold');
      // An answer that never came: someone (maybe us) may hold them; the seat map will tell.
      else if (record.status === 0) view.learn(plan.seatIds, 'free', plan.seatIds);
      else view.learn(plan.seatIds, 'free', takenSeats);
    }
    if (!plan.seatIds) run.ledger.releaseUnits(plan.event.id, plan.quantity);
    if (run.options.untilSoldOut && run.ledger.allMainSoldOut()) run.stopping = true;
  } finally {
    run.inFlight--;
  }
  return 'busy';
}

/** Declined with probability paymentFailureRate, slow with slowPaymentRate, else a plain card. */
function paymentTokenFor(run: RunContext): BookingPlan['paymentToken'] {
  // No draw when neither is asked for, so a seed replays the runs it made before these options.
  if (run.options.paymentFailureRate === 0 && run.options.slowPaymentRate === 0) return 'tok_visa';
  const roll = run.random.next();
  if (roll < run.options.paymentFailureRate) return 'tok_declined';
  if (roll < run.options.paymentFailureRate + run.options.slowPaymentRate) return 'tok_slow';
  return 'tok_visa';
}

/** The next fresh booking: an event with seats left, seats this client believes free. */
async function freshPlan(run: RunContext, customer: Customer): Promise<BookingPlan | undefined> {
  const wanted = run.random.int(run.options.seatsPerRequest.min, run.options.seatsPerRequest.max);
  for (const event of eventsToTry(run)) {
    const base = {
      event,
      customer,
      paymentToken: paymentTokenFor(run),
      holdThenPay: run.options.holdThenPay,
      respondAsync: run.options.respondAsync,
      idempotencyKey: newIdempotencyKey(),
    };
    // General admission and best available ask for a number; the server says which seats or units.
    if (event.seating.type === 'general' || run.options.bestAvailable) {
      const quantity = Math.min(wanted, run.ledger.unitsLeft(event));
      if (quantity <= 0) continue;
      run.ledger.reserveUnits(event.id, quantity);
      return { ...base, quantity, ...(event.seating.type === 'reserved' ? { bestAvailable: true } : {}) };
    }
    const seatIds = await pickSeats(run, customer, event, wanted);
    if (seatIds) return { ...base, seatIds, quantity: seatIds.length };
  }
  return undefined;
}

async function pickSeats(run: RunContext, customer: Customer, event: RunEvent, wanted: number): Promise<string[] | undefined> {
  const view = run.viewFor(customer, event);
  const pick = () => (run.options.contention === 'hot' ? view.pickHot(wanted, run.options.hotSeats, run.random) : view.pickRandom(wanted, run.random));
  const first = pick();
  if (first) return first;
  // Nothing free as far as this client knows: look at the seat map again, as a browser would.
  await view.refresh(() => seatStates(run.api, event.id), run.now(), SEAT_MAP_REFRESH_MS);
  return pick();
}


/** Events not sold out and not deleted, in a random order; short-lived ones get their share first when picked. */
function eventsToTry(run: RunContext): RunEvent[] {
  const open = run.ledger.events.filter((event) => event.deletedAt === undefined && !run.ledger.isSoldOut(event));
  const main = run.random.sample(
    open.filter((event) => !event.ephemeral),
    open.length,
  );
  const ephemeral = run.random.sample(
    open.filter((event) => event.ephemeral),
    open.length,
  );
  return run.random.chance(EPHEMERAL_SHARE) ? [...ephemeral, ...main] : [...main, ...ephemeral];
}

/**
 * --same-request: the identical request again and again. "keyed" always sends the same
 * Idempotency-Key (one reservation, one charge, whatever the repeats); "unkeyed" sends none (each
 * repeat is a new reservation for the same seats: one wins, the others are refused).
 */
function samePlan(run: RunContext, customer: Customer, connection: number): BookingPlan | undefined {
  const event = run.ledger.events.find((candidate) => !candidate.ephemeral);
  if (!event) return undefined;
  const mode = run.options.sameRequest;
  const variant: 'keyed' | 'unkeyed' = mode === 'both' ? (connection % 2 === 0 ? 'keyed' : 'unkeyed') : mode === 'unkeyed' ? 'unkeyed' : 'keyed';
  const count = run.options.seatsPerRequest.max;
  // The two variants ask for different seats, so that each shows its own behaviour.
  const offset = variant === 'keyed' ? 0 : count;
  const seatIds = event.seating.type === 'reserved' ? event.seatIds.slice(offset, offset + count) : undefined;
  return {
    event,
    customer,
    ...(seatIds ? { seatIds } : {}),
    quantity: count,
    paymentToken: 'tok_visa',
    holdThenPay: false,
    respondAsync: false,
    ...(variant === 'keyed' ? { idempotencyKey: `same-request-${event.id}` } : {}),
    sameRequest: variant,
  };
}
