import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callFrom, freshEmail, freshForwardedAddress, freshLoopbackAddress, PASSWORD, type AddressedAnswer } from './support/addressed-http.js';
import { RateLimiterDrizzle, RateLimiterRes } from 'rate-limiter-flexible';
import { PreparedCounterStore } from '../api/rate-limit-store.js';
import { rateLimitCounters } from '../db/schema/ratelimit.js';
import { startStack, type Stack } from './support/stack.js';

/**
 * Behind one trusted proxy (X-Forwarded-For's last entry is the client), with small limits so
 * that each is reached in a few requests; the per-account ones are the defaults. No worker: no
 * booking here gets as far as a workflow.
 */
let proxied: Stack;
/** No proxy trusted (the default): the socket's address is the client, whatever it writes. */
let direct: Stack;

beforeAll(async () => {
  [proxied, direct] = await Promise.all([
    startStack({
      withoutWorker: true,
      withoutProjection: true,
      env: {
        TRUST_PROXY_HOPS: '1',
        LOGIN_FAILURES_PER_ADDRESS: '15',
        LOGIN_LOCKOUT_SECONDS: '1',
        REGISTRATIONS_PER_ADDRESS: '5',
        RESERVATION_ATTEMPTS_PER_CUSTOMER: '3',
        PASSWORD_HASH_CONCURRENCY: '1',
        PASSWORD_HASH_QUEUE: '1',
      },
    }),
    startStack({ withoutWorker: true, withoutProjection: true, env: { REGISTRATIONS_PER_ADDRESS: '3' } }),
  ]);
});

afterAll(async () => {
  await Promise.all([proxied?.stop(), direct?.stop()]);
});

/** One call through "our proxy", which appended the client's address `from`. */
const viaProxy = (method: string, path: string, from: string, options: { body?: unknown; token?: string } = {}) =>
  callFrom(proxied.baseUrl, method, path, { ...options, headers: { 'x-forwarded-for': from } });

async function register(email: string, from = freshForwardedAddress(), role: 'customer' | 'organizer' = 'customer'): Promise<{ id: string; token: string }> {
  const answer = await viaProxy('POST', '/api/auth/register', from, { body: { email, password: PASSWORD, name: 'Limit test', role } });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return { id: answer.body.user?.id ?? '', token: answer.body.token ?? '' };
}

const login = (email: string, password: string, from = freshForwardedAddress()) => viaProxy('POST', '/api/auth/login', from, { body: { email, password } });

function expectRateLimited(answer: AddressedAnswer, limit: string): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(429);
  expect(answer.body).toMatchObject({ error: 'rate_limited', details: { limit } });
  expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
}

async function usersWithEmail(email: string): Promise<number> {
  const [row] = await proxied.owner.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM identity.users WHERE email = ${email}`;
  return row?.count ?? -1;
}

describe('failed logins', () => {
  it('40 wrong passwords for one account, each from another address: ten 401s, then 429 with Retry-After, the right password included', async () => {
    const email = freshEmail('victim');
    await register(email);
    const answers: AddressedAnswer[] = [];
    for (let attempt = 0; attempt < 40; attempt++) answers.push(await login(email, `guess-${attempt}`));
    expect(answers.slice(0, 10).map((answer) => answer.status)).toEqual(Array(10).fill(401));
    for (const answer of answers.slice(10)) expectRateLimited(answer, 'login_failures_per_account');
    expect(answers[10]?.retryAfter).toBe('1');
    // Locked out means locked out: a correct guess learns nothing, and costs no hash.
    expectRateLimited(await login(email, PASSWORD), 'login_failures_per_account');
    const [counter] = await proxied.owner.sql<{ points: number }[]>`SELECT points FROM ratelimit.counters WHERE key = ${`login-account:${email}`}`;
    expect(counter?.points).toBeGreaterThan(10);
  });

  it('each lock-out of the day is twice as long as the one before', async () => {
    const email = freshEmail('backoff');
    await register(email);
    const lockOut = async () => {
      for (let attempt = 0; attempt < 10; attempt++) expect((await login(email, 'wrong password')).status).toBe(401);
      const refused = await login(email, 'wrong password');
      expectRateLimited(refused, 'login_failures_per_account');
      return Number(refused.retryAfter);
    };
    expect(await lockOut()).toBe(1);
    await expect.poll(async () => (await login(email, PASSWORD)).status, { timeout: 5_000, interval: 250 }).toBe(200);
    expect(await lockOut()).toBe(2);
    await expect.poll(async () => (await login(email, PASSWORD)).status, { timeout: 6_000, interval: 250 }).toBe(200);
    expect(await lockOut()).toBe(4);
  });

  it('failed logins from one address over many accounts lock that address out, not the accounts elsewhere', async () => {
    const address = freshForwardedAddress();
    const email = freshEmail('neighbour');
    await register(email);
    for (let attempt = 0; attempt < 15; attempt++) expect((await login(freshEmail('unknown'), 'whatever', address)).status).toBe(401);
    expectRateLimited(await login(email, PASSWORD, address), 'login_failures_per_address');
    expect((await login(email, PASSWORD, freshForwardedAddress())).status).toBe(200);
  });
});

describe('registrations', () => {
  it('the sixth registration from one address within the window is 429 and creates no account; another address still registers', async () => {
    const address = freshForwardedAddress();
    for (let n = 0; n < 5; n++) await register(freshEmail('batch'), address);
    const email = freshEmail('sixth');
    const refused = await viaProxy('POST', '/api/auth/register', address, { body: { email, password: PASSWORD, name: 'Sixth' } });
    expectRateLimited(refused, 'registrations_per_address');
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    expect(await usersWithEmail(email)).toBe(0);
    await register(freshEmail('elsewhere'));
  });

  it('behind a trusted proxy, what a client wrote in front of the proxy’s own entry does not change its address', async () => {
    const address = freshForwardedAddress();
    for (let n = 0; n < 5; n++) await register(freshEmail('forger'), address);
    const forged = await callFrom(proxied.baseUrl, 'POST', '/api/auth/register', {
      body: { email: freshEmail('forged'), password: PASSWORD, name: 'Forger' },
      headers: { 'x-forwarded-for': `${freshForwardedAddress()}, ${address}` },
    });
    expectRateLimited(forged, 'registrations_per_address');
  });

  it('with no proxy configured, X-Forwarded-For is ignored: the socket’s address is counted', async () => {
    const localAddress = freshLoopbackAddress();
    const answers: AddressedAnswer[] = [];
    for (let n = 0; n < 4; n++) {
      answers.push(
        await callFrom(direct.baseUrl, 'POST', '/api/auth/register', {
          localAddress,
          body: { email: freshEmail('direct'), password: PASSWORD, name: 'Direct' },
          headers: { 'x-forwarded-for': freshForwardedAddress() },
        }),
      );
    }
    expect(answers.slice(0, 3).map((answer) => answer.status)).toEqual([201, 201, 201]);
    expectRateLimited(answers[3] as AddressedAnswer, 'registrations_per_address');
    const other = await callFrom(direct.baseUrl, 'POST', '/api/auth/register', { localAddress: freshLoopbackAddress(), body: { email: freshEmail('direct'), password: PASSWORD, name: 'Direct' } });
    expect(other.status).toBe(201);
  });
});

describe('reservation attempts', () => {
  it('a customer past the limit gets 429 before anything is looked up; another customer is not affected', async () => {
    const customer = await register(freshEmail('eager'));
    const other = await register(freshEmail('patient'));
    const attempt = (token: string) => viaProxy('POST', '/api/reservations', freshForwardedAddress(), { token, body: { eventId: randomUUID(), seats: ['A-1'], paymentToken: 'tok_visa' } });
    for (let n = 0; n < 3; n++) expect((await attempt(customer.token)).status).toBe(404);
    expectRateLimited(await attempt(customer.token), 'reservation_attempts_per_customer');
    expect((await attempt(other.token)).status).toBe(404);
    const [counter] = await proxied.owner.sql<{ points: number }[]>`SELECT points FROM ratelimit.counters WHERE key = ${`reservation:${customer.id}`}`;
    expect(counter?.points).toBe(4);
  });
});

describe('the counter store', () => {
  /** What a caller learns from one call; the wait in whole seconds, as Retry-After says it (the two stores read the clock apart). */
  const seen = (res: RateLimiterRes | null) => res && { consumed: res.consumedPoints, remaining: res.remainingPoints, first: res.isFirstInDuration, seconds: Math.ceil(res.msBeforeNext / 1000) };
  const outcome = async (call: Promise<RateLimiterRes | null>) => {
    try {
      return { allowed: seen(await call) };
    } catch (refused) {
      if (refused instanceof RateLimiterRes) return { refused: seen(refused) };
      throw refused;
    }
  };

  it('counts, refuses, blocks, expires and forgets as rate-limiter-flexible’s own Drizzle store does, on the same table', async () => {
    const options = (keyPrefix: string) => ({ storeClient: proxied.owner.db, schema: rateLimitCounters, keyPrefix, points: 3, duration: 1, clearExpiredByTimeout: false });
    const run = randomUUID();
    const library = new RateLimiterDrizzle(options(`library-${run}`));
    const ours = new PreparedCounterStore(options(`ours-${run}`));
    const script = async (limiter: RateLimiterDrizzle) => {
      const steps: unknown[] = [];
      for (let n = 0; n < 5; n++) steps.push(await outcome(limiter.consume('k')));
      steps.push(await outcome(limiter.get('k')), await outcome(limiter.get('never-counted')));
      // Past the 1 s window the count starts again.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      steps.push(await outcome(limiter.get('k')), await outcome(limiter.consume('k')), await outcome(limiter.consume('k', 2)));
      // A block overwrites the counter; a delete forgets it.
      steps.push(await outcome(limiter.block('k', 30)), await outcome(limiter.consume('k')), await limiter.delete('k'), await outcome(limiter.consume('k')));
      return steps;
    };
    const [expected, actual] = await Promise.all([script(library), script(ours)]);
    expect(actual).toEqual(expected);
    // The sequence went through the store each time: a refusal after three, a fresh window, a block.
    expect(expected[3]).toEqual({ refused: { consumed: 4, remaining: 0, first: false, seconds: 1 } });
    expect(expected[7]).toEqual({ allowed: null });
    expect(expected[8]).toEqual({ allowed: { consumed: 1, remaining: 2, first: true, seconds: 1 } });
    expect(expected[11]).toEqual({ refused: { consumed: 5, remaining: 0, first: false, seconds: 30 } });
    const rows = await proxied.owner.sql<{ key: string; points: number }[]>`SELECT key, points FROM ratelimit.counters WHERE key LIKE ${`%-${run}:k`} ORDER BY key`;
    expect(rows).toEqual([
      { key: `library-${run}:k`, points: 1 },
      { key: `ours-${run}:k`, points: 1 },
    ]);
  });
});

describe('the password hash queue', () => {
  it('when it is full, logins get 503 service_unavailable with Retry-After at once instead of waiting; the rest are answered', async () => {
    const email = freshEmail('crowd');
    await register(email);
    const answers = await Promise.all(Array.from({ length: 20 }, () => login(email, PASSWORD)));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.every((status) => status === 200 || status === 503), statuses.join(',')).toBe(true);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(2);
    const refused = answers.find((answer) => answer.status === 503);
    expect(refused, statuses.join(',')).toBeDefined();
    expect(refused?.body).toMatchObject({ error: 'service_unavailable', details: { dependency: 'password_hashing' } });
    expect(refused?.retryAfter).toBe('1');
    expect((await login(email, PASSWORD)).status).toBe(200);
  });
});

describe('when the counter store fails', () => {
  it('the limits hold in each process (no 500, no free pass) and the store is used again once it answers', async () => {
    const address = freshForwardedAddress();
    await proxied.owner.sql`REVOKE ALL ON ratelimit.counters FROM boxoffice_api`;
    try {
      const answers: AddressedAnswer[] = [];
      for (let n = 0; n < 6; n++) answers.push(await viaProxy('POST', '/api/auth/register', address, { body: { email: freshEmail('insured'), password: PASSWORD, name: 'Insured' } }));
      expect(answers.slice(0, 5).map((answer) => answer.status)).toEqual(Array(5).fill(201));
      expectRateLimited(answers[5] as AddressedAnswer, 'registrations_per_address');
      expect((await login(freshEmail('nobody'), 'wrong')).status).toBe(401);
    } finally {
      await proxied.owner.sql`GRANT SELECT, INSERT, UPDATE, DELETE ON ratelimit.counters TO boxoffice_api`;
    }
    // Back to the shared counter (which the outage did not fill: at most a request that raced the REVOKE reached it).
    const pointsNow = async () => (await proxied.owner.sql<{ points: number }[]>`SELECT points FROM ratelimit.counters WHERE key = ${`registration:${address}`}`)[0]?.points ?? 0;
    const before = await pointsNow();
    expect(before).toBeLessThan(5);
    await register(freshEmail('after'), address);
    expect(await pointsNow()).toBe(before + 1);
  });
});
