import { pollUntil } from '../../lib/poll.js';
import type { Stack } from './stack.js';

/** A logged-in account: its bearer token and id. */
export interface Account {
  token: string;
  id: string;
  email: string;
}

/**
 * The cast of the access matrix and the hostile-input suite: two customers, two organizers and an
 * admin; one event of the organizer's with a confirmed reservation (and its ticket) and a hold,
 * both the customer's. `fresh*` make more of the same for calls that use their target up.
 */
export interface AbuseFixtures {
  customer: Account;
  otherCustomer: Account;
  organizer: Account;
  otherOrganizer: Account;
  admin: Account;
  /** The organizer's event (reserved seating, 6 rows of 10). */
  event: { id: string };
  /** The customer's confirmed reservation of one seat, with its ticket. */
  confirmed: { id: string; ticketCode: string };
  /** The customer's unpaid hold of one seat. */
  held: { id: string };
  freshEvent(): Promise<string>;
  freshHold(): Promise<string>;
  freshConfirmed(): Promise<{ id: string; ticketCode: string }>;
  /** A new event of the organizer's that both customers subscribe to. */
  freshSubscribedEvent(): Promise<string>;
  /** A sold-out event of the organizer's (one seat, the customer's) with the customer on its waiting list. */
  waitlisted: { id: string };
  /** A new sold-out event of the organizer's, nobody on its waiting list. */
  freshSoldOutEvent(): Promise<string>;
  /** A new sold-out event of the organizer's with both customers on its waiting list. */
  freshWaitlistedEvent(): Promise<string>;
  /** An event of the organizer's with a waiting room not yet open, which the customer has joined. */
  queuedEvent: { id: string };
  /** A new event of the organizer's with a waiting room taking places. */
  freshQueuedEvent(): Promise<string>;
}

export const PASSWORD = 'correct horse battery';

export async function createAbuseFixtures(stack: Stack): Promise<AbuseFixtures> {
  const { http } = stack;
  const [customer, otherCustomer, organizer, otherOrganizer, adminToBe] = await Promise.all([
    http.user('customer'),
    http.user('customer'),
    http.user('organizer'),
    http.user('organizer'),
    http.user('customer'),
  ]);
  // Nobody registers as admin: promote an account in the database, then log in for a token with the role.
  await stack.owner.sql`UPDATE identity.users SET role = 'admin' WHERE id = ${adminToBe.id}`;
  const login = await http.post<{ token: string }>('/api/auth/login', { email: adminToBe.email, password: PASSWORD });
  if (login.status !== 200) throw new Error(`admin login failed: ${login.status} ${JSON.stringify(login.body)}`);
  const admin = { ...adminToBe, token: login.body.token };

  const eventId = await http.event(organizer.token, { type: 'reserved', rows: 6, seatsPerRow: 10 });
  let nextSeat = 0;
  const seat = (): string => {
    const index = nextSeat++;
    if (index >= 60) throw new Error('the fixture event has no seats left');
    return `${String.fromCharCode(65 + Math.floor(index / 10))}-${1 + (index % 10)}`;
  };

  async function book(paymentToken?: string): Promise<{ id: string; tickets: { code: string }[] }> {
    const result = await http.post<{ id: string; status: string; tickets: { code: string }[] }>(
      '/api/reservations',
      { eventId, seats: [seat()], ...(paymentToken ? { paymentToken } : {}) },
      customer.token,
    );
    const expected = paymentToken ? 'confirmed' : 'held';
    // A loaded machine may outlast the request's wait (202): follow the saga to its end.
    const settled =
      result.status === 202
        ? await pollUntil(
            async () => {
              const polled = await http.get<{ id: string; status: string; tickets: { code: string }[] }>(`/api/reservations/${result.body.id}`, customer.token);
              return polled.status === 200 && polled.body.status !== 'pending' ? polled : undefined;
            },
            { timeoutMs: 60_000, intervalMs: 100, what: `reservation ${result.body.id} to leave pending` },
          )
        : result;
    if (settled.status >= 300 || settled.body.status !== expected) throw new Error(`booking failed: ${settled.status} ${JSON.stringify(settled.body)}`);
    return settled.body;
  }

  async function freshConfirmed() {
    const booked = await book('tok_visa');
    const code = booked.tickets[0]?.code;
    if (!code) throw new Error('a confirmed reservation without a ticket');
    return { id: booked.id, ticketCode: code };
  }

  /** One seat, bought by the customer, so that its waiting list may be joined (once the projection has it). */
  async function freshSoldOutEvent(): Promise<string> {
    const id = await http.event(organizer.token, { type: 'reserved', rows: 1, seatsPerRow: 1 });
    const sold = await http.post<{ status: string }>('/api/reservations', { eventId: id, seats: ['A-1'], paymentToken: 'tok_visa' }, customer.token);
    if (sold.status !== 201 || sold.body.status !== 'confirmed') throw new Error(`selling out failed: ${sold.status} ${JSON.stringify(sold.body)}`);
    await stack.projectionCaughtUp();
    return id;
  }
  async function waitlistedEvent(accounts: Account[]): Promise<string> {
    const id = await freshSoldOutEvent();
    for (const account of accounts) {
      const joined = await http.post(`/api/events/${id}/waitlist`, { quantity: 1 }, account.token);
      if (joined.status !== 201) throw new Error(`joining the waiting list failed: ${joined.status} ${JSON.stringify(joined.body)}`);
    }
    return id;
  }
  /** Its queue opens in 10 minutes: joins are taken (QUEUE_JOIN_LEAD_SECONDS, 15 min), nobody is admitted. */
  async function freshQueuedEvent(): Promise<string> {
    const created = await http.post<{ id: string }>(
      '/api/events',
      {
        name: 'Queued fixture',
        venue: 'Hall',
        startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
        priceCents: 1000,
        seating: { type: 'reserved', rows: 2, seatsPerRow: 2 },
        queue: { opensAt: new Date(Date.now() + 10 * 60_000).toISOString() },
      },
      organizer.token,
    );
    if (created.status !== 201) throw new Error(`queued event failed: ${created.status} ${JSON.stringify(created.body)}`);
    return created.body.id;
  }

  const confirmed = await freshConfirmed();
  const held = { id: (await book()).id };
  const waitlisted = { id: await waitlistedEvent([customer]) };
  const queuedEventId = await freshQueuedEvent();
  const joined = await http.post(`/api/events/${queuedEventId}/queue`, {}, customer.token);
  if (joined.status !== 201) throw new Error(`joining the fixture queue failed: ${joined.status} ${JSON.stringify(joined.body)}`);
  await stack.projectionCaughtUp();
  return {
    customer,
    otherCustomer,
    organizer,
    otherOrganizer,
    admin,
    event: { id: eventId },
    confirmed,
    held,
    freshEvent: () => http.event(organizer.token),
    freshHold: async () => (await book()).id,
    freshConfirmed,
    waitlisted,
    freshSoldOutEvent,
    freshWaitlistedEvent: () => waitlistedEvent([customer, otherCustomer]),
    queuedEvent: { id: queuedEventId },
    freshQueuedEvent,
    freshSubscribedEvent: async () => {
      const id = await http.event(organizer.token);
      for (const account of [customer, otherCustomer]) await http.post(`/api/events/${id}/subscription`, {}, account.token);
      return id;
    },
  };
}
