import { randomUUID } from 'node:crypto';
import type { AbuseFixtures, Account } from './abuse-fixtures.js';
import { PASSWORD } from './abuse-fixtures.js';

/** Who calls: nobody, the owner of the target and someone of the same role who is not, an admin. */
export const callers = ['anonymous', 'customer', 'otherCustomer', 'organizer', 'otherOrganizer', 'admin'] as const;
export type Caller = (typeof callers)[number];

/** The answer's status class: a success, or the refusal expected. */
export type Expected = '2xx' | 401 | 403 | 404;

export interface Call {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
}

export interface MatrixRow {
  /** As the router declares it: `METHOD /path/:param`. */
  route: string;
  /** One cell per caller, in the order of `callers`. */
  expected: Record<Caller, Expected>;
  /** A 2xx of this route changes stored state (so it gets a target of its own, and no snapshot check). */
  changesState: boolean;
  /**
   * The request. `fresh`: the call is expected to succeed and the route uses its target up (pay,
   * cancel, check in, delete): it gets a new one. Refused calls always aim at the shared fixtures.
   */
  call(fixtures: AbuseFixtures, fresh: boolean): Promise<Call> | Call;
}

const S = '2xx' as const;
/** Columns: anonymous, customer (owner), other customer, organizer (owns the event), other organizer, admin. */
type Cells = [Expected, Expected, Expected, Expected, Expected, Expected];
const cells = (values: Cells): Record<Caller, Expected> => Object.fromEntries(callers.map((caller, index) => [caller, values[index]])) as Record<Caller, Expected>;

const everyone: Cells = [S, S, S, S, S, S];
const anyAccount: Cells = [401, S, S, S, S, S];
const organizersAndAdmins: Cells = [401, 403, 403, S, S, S];
const eventOwnerAndAdmin: Cells = [401, 403, 403, S, 403, S];
/** Someone else's reservation is as good as absent (404); the event's organizer sees it but may not act as its customer (403). */
const reservationOwnerAndAdmin: Cells = [401, S, 404, 403, 404, S];
const reservationViewers: Cells = [401, S, 404, S, 404, S];
const customersOnly: Cells = [401, S, S, 403, 403, 403];
const adminOnly: Cells = [401, 403, 403, 403, 403, S];

const futureEvent = () => ({ name: `Matrix ${randomUUID().slice(0, 8)}`, venue: 'Hall', startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), priceCents: 1000, seating: { type: 'reserved', rows: 2, seatsPerRow: 2 } });

let seatCursor = 0;
/** Seats of the fixture event that no fixture uses (the fixtures take rows A and B from the front). */
const spareSeat = (): string => {
  const index = seatCursor++;
  return `${String.fromCharCode(70 - Math.floor(index / 10))}-${10 - (index % 10)}`;
};

const row = (route: string, values: Cells, changesState: boolean, call: MatrixRow['call']): MatrixRow => ({ route, expected: cells(values), changesState, call });

/** Every route of the API, with who may call it. A route missing here fails test/access-matrix.test.ts. */
export const accessMatrix: readonly MatrixRow[] = [
  row('POST /api/auth/register', everyone, true, () => ({ method: 'POST', path: '/api/auth/register', body: { email: `matrix-${randomUUID()}@example.test`, password: PASSWORD, name: 'Matrix' } })),
  row('POST /api/auth/login', everyone, false, (f) => ({ method: 'POST', path: '/api/auth/login', body: { email: f.customer.email, password: PASSWORD } })),
  row('GET /api/me', anyAccount, false, () => ({ method: 'GET', path: '/api/me' })),
  row('GET /api/users', [401, 403, 403, 403, 403, S], false, () => ({ method: 'GET', path: '/api/users' })),
  row('GET /api/events', everyone, false, () => ({ method: 'GET', path: '/api/events' })),
  row('GET /api/events/:id', everyone, false, (f) => ({ method: 'GET', path: `/api/events/${f.event.id}` })),
  row('POST /api/events', organizersAndAdmins, true, () => ({ method: 'POST', path: '/api/events', body: futureEvent() })),
  row('PATCH /api/events/:id', eventOwnerAndAdmin, true, async (f, fresh) => ({ method: 'PATCH', path: `/api/events/${fresh ? await f.freshEvent() : f.event.id}`, body: { name: 'Renamed by the matrix', priceCents: 1 } })),
  row('GET /api/events/:id/seats', everyone, false, (f) => ({ method: 'GET', path: `/api/events/${f.event.id}/seats` })),
  row('GET /api/events/:id/stats', eventOwnerAndAdmin, false, (f) => ({ method: 'GET', path: `/api/events/${f.event.id}/stats` })),
  row('DELETE /api/events/:id', eventOwnerAndAdmin, true, async (f, fresh) => ({ method: 'DELETE', path: `/api/events/${fresh ? await f.freshEvent() : f.event.id}` })),
  row('POST /api/reservations', anyAccount, true, (f) => ({ method: 'POST', path: '/api/reservations', body: { eventId: f.event.id, seats: [spareSeat()], paymentToken: 'tok_visa' } })),
  row('GET /api/reservations', anyAccount, false, (f) => ({ method: 'GET', path: `/api/reservations?eventId=${f.event.id}` })),
  row('GET /api/reservations/:id', reservationViewers, false, (f) => ({ method: 'GET', path: `/api/reservations/${f.confirmed.id}` })),
  row('POST /api/reservations/:id/pay', reservationOwnerAndAdmin, true, async (f, fresh) => ({ method: 'POST', path: `/api/reservations/${fresh ? await f.freshHold() : f.held.id}/pay`, body: { paymentToken: 'tok_visa' } })),
  row('POST /api/reservations/:id/cancel', reservationOwnerAndAdmin, true, async (f, fresh) => ({ method: 'POST', path: `/api/reservations/${fresh ? (await f.freshConfirmed()).id : f.confirmed.id}/cancel` })),
  row('GET /api/tickets/:code', everyone, false, (f) => ({ method: 'GET', path: `/api/tickets/${f.confirmed.ticketCode}` })),
  row('POST /api/tickets/:code/check-in', eventOwnerAndAdmin, true, async (f, fresh) => ({ method: 'POST', path: `/api/tickets/${fresh ? (await f.freshConfirmed()).ticketCode : f.confirmed.ticketCode}/check-in` })),
  row('POST /api/events/:id/subscription', customersOnly, true, async (f, fresh) => ({ method: 'POST', path: `/api/events/${fresh ? await f.freshEvent() : f.event.id}/subscription` })),
  row('DELETE /api/events/:id/subscription', customersOnly, true, async (f, fresh) => ({ method: 'DELETE', path: `/api/events/${fresh ? await f.freshSubscribedEvent() : f.event.id}/subscription` })),
  row('POST /api/events/:id/waitlist', customersOnly, true, async (f, fresh) => ({ method: 'POST', path: `/api/events/${fresh ? await f.freshSoldOutEvent() : f.waitlisted.id}/waitlist`, body: { quantity: 1 } })),
  // Only one's own entry exists: another customer has none (404), other roles may have none (403).
  row('GET /api/events/:id/waitlist/me', [401, S, 404, 403, 403, 403], false, (f) => ({ method: 'GET', path: `/api/events/${f.waitlisted.id}/waitlist/me` })),
  row('DELETE /api/events/:id/waitlist', customersOnly, true, async (f, fresh) => ({ method: 'DELETE', path: `/api/events/${fresh ? await f.freshWaitlistedEvent() : f.waitlisted.id}/waitlist` })),
  row('GET /api/me/notifications', anyAccount, false, () => ({ method: 'GET', path: '/api/me/notifications' })),
  row('POST /api/events/:id/queue', anyAccount, true, async (f, fresh) => ({ method: 'POST', path: `/api/events/${fresh ? await f.freshQueuedEvent() : f.queuedEvent.id}/queue` })),
  // One's own place: only the customer has joined the fixture queue; for anyone else it is absent.
  row('GET /api/events/:id/queue/me', [401, S, 404, 404, 404, 404], false, (f) => ({ method: 'GET', path: `/api/events/${f.queuedEvent.id}/queue/me` })),
  row('GET /api/events/:id/queue', eventOwnerAndAdmin, false, (f) => ({ method: 'GET', path: `/api/events/${f.queuedEvent.id}/queue` })),
  row('GET /api/events/:id/sales.csv', eventOwnerAndAdmin, false, (f) => ({ method: 'GET', path: `/api/events/${f.event.id}/sales.csv` })),
  row('GET /api/reports/sales', adminOnly, false, () => ({ method: 'GET', path: `/api/reports/sales?from=2026-01-01&to=2026-12-31` })),
  row('GET /api/config', everyone, false, () => ({ method: 'GET', path: '/api/config' })),
  row('GET /healthz', everyone, false, () => ({ method: 'GET', path: '/healthz' })),
  row('GET /readyz', everyone, false, () => ({ method: 'GET', path: '/readyz' })),
  row('GET /metrics', everyone, false, () => ({ method: 'GET', path: '/metrics' })),
  row('GET /openapi.json', everyone, false, () => ({ method: 'GET', path: '/openapi.json' })),
];

export function accountOf(fixtures: AbuseFixtures, caller: Caller): Account | undefined {
  return caller === 'anonymous' ? undefined : fixtures[caller];
}

/** The error code each refusal must carry. */
export const refusalCodes: Record<401 | 403 | 404, RegExp> = { 401: /^unauthorized$/, 403: /^forbidden$/, 404: /^[a-z]+(_[a-z]+)*_not_found$/ };
