import { allSeatIds, capacityOf, type Seating } from '../lib/seating.js';
import { errorCodeOf, type ApiClient } from './http-client.js';
import type { RunEvent } from './ledger.js';
import type { LoadOptions } from './options.js';
import type { Account, Customer } from './run-context.js';

export class SetupError extends Error {
  override name = 'SetupError';
}

const DEMO_ORGANIZER = { email: 'organizer@boxoffice.test', password: 'organizer-password' };
const PASSWORD = 'load-test-password';
/** Registration hashes the password (argon2id, 19 MiB): a few at a time, not 80 at once. */
const REGISTRATION_CONCURRENCY = 4;

type AuthAnswer = { user?: { id: string; email: string }; token?: string };

function accountFrom(answer: { status: number; body: AuthAnswer }, what: string): Account {
  const { user, token } = answer.body;
  if ((answer.status !== 200 && answer.status !== 201) || !user || !token) {
    throw new SetupError(`${what} failed: HTTP ${answer.status} ${errorCodeOf(answer)}`);
  }
  return { id: user.id, email: user.email, token };
}

async function register(api: ApiClient, role: 'customer' | 'organizer', email: string): Promise<Account> {
  const answer = await api.post<AuthAnswer>('/api/auth/register', { email, password: PASSWORD, name: `Load test ${role}`, role });
  return accountFrom(answer, `Registering ${email}`);
}

/** A fresh organizer of the run's own, or the demo organizer. */
export async function organizerAccount(api: ApiClient, options: LoadOptions, runId: string): Promise<Account> {
  if (options.organizer === 'demo') {
    return accountFrom(await api.post<AuthAnswer>('/api/auth/login', DEMO_ORGANIZER), `Logging in as ${DEMO_ORGANIZER.email}`);
  }
  return register(api, 'organizer', `load-${runId}-organizer@loadtest.test`);
}

export async function registerCustomers(api: ApiClient, count: number, runId: string): Promise<Customer[]> {
  const customers: Customer[] = [];
  for (let first = 0; first < count; first += REGISTRATION_CONCURRENCY) {
    const batch = Array.from({ length: Math.min(REGISTRATION_CONCURRENCY, count - first) }, (_, i) => first + i);
    const accounts = await Promise.all(batch.map((index) => register(api, 'customer', `load-${runId}-customer-${index}@loadtest.test`)));
    accounts.forEach((account, i) => customers.push({ ...account, index: first + i }));
  }
  return customers;
}

export async function createEvent(api: ApiClient, organizer: Account, seating: Seating, name: string): Promise<string> {
  const answer = await api.post<{ id?: string }>(
    '/api/events',
    { name, venue: 'Load test hall', startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(), priceCents: 2000, seating },
    organizer.token,
  );
  if (answer.status !== 201 || !answer.body.id) throw new SetupError(`Creating an event failed: HTTP ${answer.status} ${errorCodeOf(answer)}`);
  return answer.body.id;
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

type EventAnswer = { id: string; status: string; seating: Seating; availability: { sold: number } };

/** An event named with --event: its seating, and what is already sold or held. */
async function existingEvent(api: ApiClient, id: string): Promise<RunEvent> {
  const answer = await api.get<EventAnswer>(`/api/events/${id}`);
  if (answer.status !== 200) throw new SetupError(`--event ${id}: HTTP ${answer.status} ${errorCodeOf(answer)}`);
  if (answer.body.status === 'cancelled') throw new SetupError(`--event ${id} is cancelled: nothing can be booked`);
  const event = newRunEvent(id, answer.body.seating, false, 0);
  event.initiallySold = answer.body.availability.sold;
  if (answer.body.seating.type === 'reserved') {
    const seats = await api.get<{ seats?: { id: string; status: string }[] }>(`/api/events/${id}/seats`);
    event.knownTaken = (seats.body.seats ?? []).filter((seat) => seat.status !== 'available');
  }
  return event;
}

/** The run's main events: the ones named with --event, or `options.events` new ones. */
export async function prepareEvents(api: ApiClient, options: LoadOptions, organizer: Account, runId: string): Promise<RunEvent[]> {
  if (options.eventIds.length > 0) return Promise.all(options.eventIds.map((id) => existingEvent(api, id)));
  const ids = await Promise.all(Array.from({ length: options.events }, (_, n) => createEvent(api, organizer, options.seating, `Load test ${runId} #${n + 1}`)));
  return ids.map((id) => newRunEvent(id, options.seating, false, 0));
}
