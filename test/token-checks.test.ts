import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tokens } from '../api/auth.js';
import { LiveClient, type LiveMessage } from './support/live-client.js';
import { startStack, type Stack } from './support/stack.js';

/** Accounts re-read on every request (no cache) and sockets' accounts checked five times a second. */
let fresh: Stack;
/** The default: each process trusts its last look at an account for AUTH_ACCOUNT_CACHE_MS (2 s). */
let cached: Stack;
/** Every statement the cached stack's API sent, and those that read identity.users. */
const statements: string[] = [];
const userReads: string[] = [];
const clients: LiveClient[] = [];

beforeAll(async () => {
  [fresh, cached] = await Promise.all([
    startStack({ withoutWorker: true, withoutProjection: true, env: { AUTH_ACCOUNT_CACHE_MS: '0', LIVE_ACCOUNT_CHECK_MS: '200' } }),
    startStack({
      withoutWorker: true,
      withoutProjection: true,
      onApiQuery: (statement) => {
        statements.push(statement);
        if (/from "identity"\."users"/i.test(statement)) userReads.push(statement);
      },
    }),
  ]);
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close().catch(() => 0)));
  await Promise.all([fresh?.stop(), cached?.stop()]);
});

const setRole = (stack: Stack, id: string, role: 'customer' | 'organizer' | 'admin') => stack.owner.sql`UPDATE identity.users SET role = ${role} WHERE id = ${id}`;
const deleteAccount = (stack: Stack, id: string) => stack.owner.sql`DELETE FROM identity.users WHERE id = ${id}`;

async function connect(stack: Stack, token: string): Promise<LiveClient> {
  const client = await LiveClient.connect(stack.wsUrl, { token });
  clients.push(client);
  return client;
}

const errors = (client: LiveClient): LiveMessage[] => client.messages.filter((message) => message.type === 'error');

describe('the account behind a token', () => {
  it('a demoted organizer cannot create events with the token it already has', async () => {
    const organizer = await fresh.http.user('organizer');
    await fresh.http.event(organizer.token);
    await setRole(fresh, organizer.id, 'customer');
    const refused = await fresh.http.post('/api/events', { name: 'After demotion', venue: 'Hall', startsAt: new Date(Date.now() + 86_400_000).toISOString(), priceCents: 100, seating: { type: 'general', capacity: 10 } }, organizer.token);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'forbidden' });
    expect((await fresh.http.get('/api/me', organizer.token)).body).toMatchObject({ id: organizer.id, role: 'customer' });
  });

  it('a demoted admin loses the admin endpoints at once; a promotion takes effect at once too', async () => {
    const user = await fresh.http.user('customer');
    expect((await fresh.http.get('/api/users', user.token)).status).toBe(403);
    await setRole(fresh, user.id, 'admin');
    expect((await fresh.http.get('/api/users', user.token)).status).toBe(200);
    await setRole(fresh, user.id, 'customer');
    expect((await fresh.http.get('/api/users', user.token)).status).toBe(403);
  });

  it('a deleted account’s token is 401 on the next request', async () => {
    const user = await fresh.http.user('customer');
    expect((await fresh.http.get('/api/reservations', user.token)).status).toBe(200);
    await deleteAccount(fresh, user.id);
    const refused = await fresh.http.get('/api/reservations', user.token);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: 'unauthorized', message: 'This account no longer exists' });
  });

  it('with the default cache, an account is read once per process per 2 s, and a demotion takes effect within that', async () => {
    const user = await cached.http.user('customer');
    await setRole(cached, user.id, 'admin');
    userReads.length = 0;
    for (let n = 0; n < 5; n++) expect((await cached.http.get('/api/config', user.token)).status).toBe(200);
    // The first request reads the account; the next four, well within 2 s, do not.
    expect(userReads).toHaveLength(1);
    await expect.poll(async () => (await cached.http.get('/api/users', user.token)).status, { timeout: 4_000, interval: 100 }).toBe(200);
    await setRole(cached, user.id, 'customer');
    const demotedAt = Date.now();
    await expect.poll(async () => (await cached.http.get('/api/users', user.token)).status, { timeout: 4_000, interval: 100 }).toBe(403);
    expect(Date.now() - demotedAt).toBeLessThan(cached.cfg.AUTH_ACCOUNT_CACHE_MS + 1_000);
  });
});

describe('what the checks cost', () => {
  const verbOf = (statement: string) => statement.trim().split(/\s+/)[0]?.toLowerCase();
  it('in SQL statements on the rate-limit counters: a login 3 (4 when wrong), a booking attempt 1', async () => {
    const user = await cached.http.user('customer');
    const countersTouched = async (call: () => Promise<unknown>) => {
      statements.length = 0;
      await call();
      // Quoted as drizzle writes it (the library's clean-up, delete), or not (rate-limit-store.ts).
      return statements.filter((statement) => /"?ratelimit"?\."?counters"?/.test(statement));
    };
    const right = await countersTouched(() => cached.http.post('/api/auth/login', { email: user.email, password: 'correct horse battery' }));
    expect(right.map(verbOf)).toEqual(['select', 'select', 'delete']);
    const wrong = await countersTouched(() => cached.http.post('/api/auth/login', { email: user.email, password: 'not the password' }));
    expect(wrong.map(verbOf)).toEqual(['select', 'select', 'insert', 'insert']);
    const booking = await countersTouched(() => cached.http.post('/api/reservations', { eventId: '00000000-0000-4000-9000-0000000000ff', quantity: 1 }, user.token));
    expect(booking).toHaveLength(1);
  });
});

describe('live sockets', () => {
  it('a socket is closed (4401, as for a bad token) when its token expires', async () => {
    const user = await fresh.http.user('customer');
    const shortLived = await new Tokens(fresh.cfg.JWT_SECRET, 2).issue({ id: user.id, email: user.email, name: 'Test customer', role: 'customer' });
    const client = await connect(fresh, shortLived);
    const openedAt = Date.now();
    expect(await client.closed).toBe(4401);
    expect(Date.now() - openedAt).toBeLessThan(4_000);
    expect(errors(client)).toEqual([expect.objectContaining({ error: 'unauthorized', message: 'The token has expired: log in again' })]);
  });

  it('a socket is closed when its account is deleted, and a deleted account gets no new socket', async () => {
    const user = await fresh.http.user('customer');
    const client = await connect(fresh, user.token);
    await deleteAccount(fresh, user.id);
    expect(await client.closed).toBe(4401);
    expect(errors(client)).toEqual([expect.objectContaining({ error: 'unauthorized', message: 'This account no longer exists' })]);
    const again = await connect(fresh, user.token);
    expect(await again.closed).toBe(4401);
  });

  it('a socket is closed when its account’s role changes; an unrelated socket stays open', async () => {
    const user = await fresh.http.user('organizer');
    const bystander = await fresh.http.user('customer');
    const client = await connect(fresh, user.token);
    const other = await connect(fresh, bystander.token);
    await setRole(fresh, user.id, 'customer');
    expect(await client.closed).toBe(4401);
    expect(other.closeCode).toBeUndefined();
  });
});

describe('the signing secret', () => {
  const root = path.resolve(import.meta.dirname, '..');
  /** The API process itself, started as `npm start` would but with a chosen environment; it must refuse before connecting anywhere. */
  function startApi(env: Record<string, string>): { status: number | null; stderr: string } {
    const { NODE_ENV: _node, JWT_SECRET: _secret, ...inherited } = process.env;
    const run = spawnSync(path.join(root, 'node_modules/.bin/tsx'), ['api/main.ts'], { cwd: root, env: { ...inherited, PORT: '0', ...env }, encoding: 'utf8', timeout: 30_000 });
    return { status: run.status, stderr: run.stderr };
  }

  it('the API refuses the built-in secret when NODE_ENV is not set, with a message that says what to do', () => {
    const run = startApi({});
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/JWT_SECRET: the built-in development secret is refused when NODE_ENV is not set/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('the API refuses a secret shorter than 32 bytes, and the built-in one in production', () => {
    const short = startApi({ NODE_ENV: 'development', JWT_SECRET: 'x'.repeat(31) });
    expect(short.status).toBe(1);
    expect(short.stderr).toMatch(/JWT_SECRET must be at least 32 bytes/);
    const production = startApi({ NODE_ENV: 'production' });
    expect(production.status).toBe(1);
    expect(production.stderr).toMatch(/JWT_SECRET: set a secret of your own in production/);
  });
});
