import type { ErrorBody, Event, SeatMap, Session } from '../api/contract/index.js';
import type { Seating } from '../lib/seating.js';
import { errorCodeOf, type ApiAnswer, type ApiClient } from './http-client.js';

/**
 * The few calls the load script, the experiments and the benches all make to get going (accounts,
 * events, the seat map), typed by the contract. The hot path (booking) lives in booking.ts.
 */

/** An answer other than the one a set-up step needs; the message names the step and the error code. */
export class UnexpectedAnswerError extends Error {
  override name = 'UnexpectedAnswerError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

export function expectStatus<T>(answer: ApiAnswer<T | ErrorBody>, expected: readonly number[], what: string): T {
  if (!expected.includes(answer.status)) {
    const code = errorCodeOf(answer);
    throw new UnexpectedAnswerError(`${what} failed: HTTP ${answer.status} ${code}`, answer.status, code);
  }
  return answer.body as T;
}

export interface NewAccount {
  email: string;
  password: string;
  name: string;
  role: 'customer' | 'organizer';
}

export async function register(api: ApiClient, account: NewAccount): Promise<Session> {
  return expectStatus(await api.post<Session | ErrorBody>('/api/auth/register', account), [200, 201], `Registering ${account.email}`);
}

export async function login(api: ApiClient, credentials: { email: string; password: string }): Promise<Session> {
  return expectStatus(await api.post<Session | ErrorBody>('/api/auth/login', credentials), [200, 201], `Logging in as ${credentials.email}`);
}

export interface NewEvent {
  name: string;
  venue: string;
  seating: Seating;
  priceCents: number;
  /** The event starts this many days from now. */
  inDays: number;
}

export async function createEvent(api: ApiClient, token: string, event: NewEvent): Promise<Event> {
  const { inDays, ...fields } = event;
  const body = { ...fields, startsAt: new Date(Date.now() + inDays * 86_400_000).toISOString() };
  return expectStatus(await api.post<Event | ErrorBody>('/api/events', body, token), [201], `Creating event ${event.name}`);
}

/** One seat of a reserved-seating map. */
export type SeatState = Extract<SeatMap, { seats: unknown }>['seats'][number];

/** Every seat of a reserved-seating event with its state; none for general admission or an error. */
export async function seatStates(api: ApiClient, eventId: string): Promise<SeatState[]> {
  const answer = await api.get<SeatMap | ErrorBody>(`/api/events/${eventId}/seats`);
  return answer.status === 200 && 'seats' in answer.body ? answer.body.seats : [];
}

