import type postgres from 'postgres';
import { hashPassword } from '../api/auth.js';
import type { ErrorBody, Event } from '../api/contract/index.js';
import { allSeatIds, capacityOf, type Seating } from '../lib/seating.js';
import * as calls from './api.js';
import { errorCodeOf, type ApiClient } from './http-client.js';
import type { RunEvent } from './ledger.js';
import type { LoadOptions } from './options.js';
import type { Account, Customer } from './run-context.js';

export class SetupError extends Error {
  override name = 'SetupError';
}

const DEMO_ORGANIZER = { email: 'organizer@boxoffice.test', password: 'organizer-password' };
const PASSWORD = 'load-test-password';
/** Logging in checks the password (argon2id, 7 MiB each): a few at a time, not 80 at once. */
const REGISTRATION_CONCURRENCY = 4;

/** A set-up call that did not get the answer it needs stops the run before the load starts. */
async function setUp<T>(step: Promise<T>): Promise<T> {
  try {
    return await step;
  } catch (error) {
    throw error instanceof calls.UnexpectedAnswerError ? new SetupError(error.message) : error;
  }
}

const accountOf = ({ user, token }: { user: { id: string; email: string }; token: string }): Account => ({ id: user.id, email: user.email, token });

async function register(api: ApiClient, role: 'customer' | 'organizer', email: string): Promise<Account> {
  return accountOf(await setUp(calls.register(api, { email, password: PASSWORD, name: `Load test ${role}`, role })));
}

/** A fresh organizer of the run's own, or the demo organizer. */
export async function organizerAccount(api: ApiClient, options: LoadOptions, runId: string): Promise<Account> {
  if (options.organizer === 'demo') {
    return accountOf(await setUp(calls.login(api, DEMO_ORGANIZER)));
  }
  return register(api, 'organizer', `load-${runId}-organizer@loadtest.test`);
}

/** Rows a single INSERT carries: 2,000 customers in four statements. */
const PROVISION_BATCH = 500;

/**
 * The run's customers, made through the owner connection the run already holds (for the
 * invariants) rather than by `count` registrations: the API limits registrations per address
 * (60 a minute by default), and the on-sale scenarios need thousands of accounts from one
 * machine. One password hash serves them all; each then logs in over the API like anyone else
 * (successful logins are not limited), so the tokens are the API's own.
 */
export async function provisionCustomers(api: ApiClient, owner: postgres.Sql, count: number, runId: string): Promise<Customer[]> {
  const passwordHash = await hashPassword(PASSWORD);
  const emails = Array.from({ length: count }, (_, index) => `load-${runId}-customer-${index}@loadtest.test`);
  for (let first = 0; first < count; first += PROVISION_BATCH) {
    const rows = emails.slice(first, first + PROVISION_BATCH).map((email) => ({ email, name: 'Load test customer', role: 'customer', password_hash: passwordHash }));
    await owner`INSERT INTO identity.users ${owner(rows, 'email', 'name', 'role', 'password_hash')} ON CONFLICT (email) DO NOTHING`;
  }
  const customers: Customer[] = [];
  for (let first = 0; first < count; first += REGISTRATION_CONCURRENCY) {
    const batch = emails.slice(first, first + REGISTRATION_CONCURRENCY);
    const accounts = await Promise.all(batch.map(async (email) => accountOf(await setUp(calls.login(api, { email, password: PASSWORD })))));
    accounts.forEach((account, i) => customers.push({ ...account, index: first + i }));
  }
  return customers;
}

export async function createEvent(api: ApiClient, organizer: Account, seating: Seating, name: string): Promise<string> {
  const event = await setUp(calls.createEvent(api, organizer.token, { name, venue: 'Load test hall', inDays: 30, priceCents: 2000, seating }));
  return event.id;
}

export function newRunEvent(id: string, seating: Seating, ephemeral: boolean, createdAt: number): RunEvent {
  return {
    id,
    seating,
    capacity: capacityOf(seating),
    seatIds: seating.type === 'reserved' ? allSeatIds(seating) : [],
    ephemeral,
    createdAt,
    initiallySold: 0,
    knownTaken: [],
  };
}

/** An event named with --event: its seating, and what is already sold or held. */
async function existingEvent(api: ApiClient, id: string): Promise<RunEvent> {
  const answer = await api.get<Event | ErrorBody>(`/api/events/${id}`);
  if (answer.status !== 200 || !('seating' in answer.body)) throw new SetupError(`--event ${id}: HTTP ${answer.status} ${errorCodeOf(answer)}`);
  const found = answer.body;
  if (found.status === 'cancelled') throw new SetupError(`--event ${id} is cancelled: nothing can be booked`);
  const event = newRunEvent(id, found.seating, false, 0);
  event.initiallySold = found.availability.sold;
  if (found.seating.type === 'reserved') {
    event.knownTaken = (await calls.seatStates(api, id)).filter((seat) => seat.status !== 'available');
  }
  return event;
}

/** The run's main events: the ones named with --event, or `options.events` new ones. */
export async function prepareEvents(api: ApiClient, options: LoadOptions, organizer: Account, runId: string): Promise<RunEvent[]> {
  if (options.eventIds.length > 0) return Promise.all(options.eventIds.map((id) => existingEvent(api, id)));
  const ids = await Promise.all(Array.from({ length: options.events }, (_, n) => createEvent(api, organizer, options.seating, `Load test ${runId} #${n + 1}`)));
  return ids.map((id) => newRunEvent(id, options.seating, false, 0));
}
