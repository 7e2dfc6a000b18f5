import { and, eq, lte } from 'drizzle-orm';
import { hashPassword } from '../api/auth.js';
import type { Database } from '../db/client.js';
import { events } from '../db/schema/catalog.js';
import { users } from '../db/schema/identity.js';

/** The demo accounts, shown in the README and at start-up. Never use these outside a demo. */
export const demoAccounts = [
  { id: '00000000-0000-4000-8000-000000000001', email: 'admin@boxoffice.test', password: 'admin-password', name: 'Ada Admin', role: 'admin' },
  { id: '00000000-0000-4000-8000-000000000002', email: 'organizer@boxoffice.test', password: 'organizer-password', name: 'Otto Organizer', role: 'organizer' },
  { id: '00000000-0000-4000-8000-000000000003', email: 'customer@boxoffice.test', password: 'customer-password', name: 'Cleo Customer', role: 'customer' },
] as const;

const organizerId = demoAccounts[1].id;
const plays = ['Hamlet', 'The Cherry Orchard', 'Waiting for Godot', 'A Doll’s House', 'Twelfth Night', 'Death of a Salesman'];
const festivals = ['Summer Open Air', 'Jazz Night', 'Indie Weekend', 'New Year Gala'];

/** Fixed ids make the seed idempotent: a second run inserts nothing. */
const eventId = (n: number) => `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`;

export async function seed(db: Database): Promise<{ users: number; events: number }> {
  const day = 24 * 3600 * 1000;
  const base = Date.UTC(new Date().getUTCFullYear() + 1, 0, 15, 19, 30);
  const insertedUsers = await db
    .insert(users)
    .values(await Promise.all(demoAccounts.map(async (account) => ({ id: account.id, email: account.email, name: account.name, role: account.role, passwordHash: await hashPassword(account.password) }))))
    .onConflictDoNothing()
    .returning({ id: users.id });
  const theater = plays.map((play, room) => ({
    id: eventId(room + 1),
    organizerId,
    name: play,
    description: `${play}, in room ${room + 1} of the Grand Theater.`,
    venue: `Grand Theater, room ${room + 1}`,
    startsAt: new Date(base + room * day),
    priceCents: 4500 + room * 500,
    currency: 'EUR',
    seatingType: 'reserved' as const,
    rows: 12,
    seatsPerRow: 10,
    capacity: 120,
  }));
  const general = festivals.map((festival, index) => ({
    id: eventId(100 + index),
    organizerId,
    name: festival,
    description: `${festival}: general admission, 10,000 tickets.`,
    venue: 'City Park',
    startsAt: new Date(base + (10 + index) * day),
    priceCents: 2500,
    currency: 'EUR',
    seatingType: 'general' as const,
    rows: null,
    seatsPerRow: null,
    capacity: 10_000,
  }));
  const insertedEvents = await db.insert(events).values([...theater, ...general]).onConflictDoNothing().returning({ id: events.id });
  // A demo database outlives its dates, and an event that has started sells nothing: move those to this seed's dates.
  for (const event of [...theater, ...general]) {
    await db.update(events).set({ startsAt: event.startsAt, updatedAt: new Date() }).where(and(eq(events.id, event.id), lte(events.startsAt, new Date()), eq(events.status, 'on_sale')));
  }
  return { users: insertedUsers.length, events: insertedEvents.length };
}
