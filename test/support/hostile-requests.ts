import { randomUUID } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';
import fc from 'fast-check';
import { SignJWT, UnsecuredJWT } from 'jose';
import type { z } from 'zod';
import type { Route } from '../../api/route.js';
import { PASSWORD, type AbuseFixtures } from './abuse-fixtures.js';
import { accessMatrix, accountOf, type Caller } from './access-matrix.js';

/**
 * Generated hostile requests (fast-check). Each is a request that would succeed — the route's
 * rightful caller, real ids, a valid body — with one thing made hostile, so that the refusal is
 * that thing's doing: forged or missing auth, someone else's identity, a malformed id, a body its
 * own schema refuses, control characters, bad JSON, a wrong content type, an oversized body, a
 * bad query string, bad headers, a wrong method.
 */
export interface HostileRequest {
  fault: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** The statuses the refusal may have. */
  expect: readonly number[];
}

/** encodeURIComponent throws on a lone surrogate (the bodies carry those); a query gets U+FFFD instead. */
const encodeQueryValue = (value: string): string => encodeURIComponent(value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'));

/** A request that succeeds: who sends it, and what. */
interface Baseline {
  caller: Caller;
  params: Record<string, string>;
  body?: Record<string, unknown>;
  query?: Record<string, string>;
}

const futureEvent = () => ({ name: 'Hostile', venue: 'Hall', startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), priceCents: 1000, seating: { type: 'reserved', rows: 2, seatsPerRow: 2 } });

/** The rightful request of every route (route key as the router declares it). */
function baselines(f: AbuseFixtures): Record<string, Baseline> {
  const none = {};
  return {
    'POST /api/auth/register': { caller: 'anonymous', params: none, body: { email: `hostile-${randomUUID()}@example.test`, password: PASSWORD, name: 'Hostile' } },
    'POST /api/auth/login': { caller: 'anonymous', params: none, body: { email: f.customer.email, password: PASSWORD } },
    'GET /api/me': { caller: 'customer', params: none },
    'GET /api/users': { caller: 'admin', params: none },
    'GET /api/events': { caller: 'anonymous', params: none },
    'GET /api/events/:id': { caller: 'anonymous', params: { id: f.event.id } },
    'POST /api/events': { caller: 'organizer', params: none, body: { ...futureEvent(), queue: { opensAt: new Date(Date.now() + 86_400_000).toISOString(), admitPerMinute: 600 } } },
    'PATCH /api/events/:id': {
      caller: 'organizer',
      params: { id: f.event.id },
      body: { name: 'Renamed', description: 'New text', priceCents: 1500, startsAt: new Date(Date.now() + 14 * 86_400_000).toISOString(), queue: { opensAt: new Date(Date.now() + 86_400_000).toISOString() } },
    },
    'GET /api/events/:id/seats': { caller: 'anonymous', params: { id: f.event.id } },
    'GET /api/events/:id/stats': { caller: 'organizer', params: { id: f.event.id } },
    'DELETE /api/events/:id': { caller: 'organizer', params: { id: f.event.id } },
    'POST /api/reservations': { caller: 'customer', params: none, body: { eventId: f.event.id, seats: ['F-10'], paymentToken: 'tok_visa' } },
    'GET /api/reservations': { caller: 'customer', params: none, query: { eventId: f.event.id, limit: '10' } },
    'GET /api/reservations/:id': { caller: 'customer', params: { id: f.confirmed.id } },
    'POST /api/reservations/:id/pay': { caller: 'customer', params: { id: f.held.id }, body: { paymentToken: 'tok_visa' } },
    'POST /api/reservations/:id/cancel': { caller: 'customer', params: { id: f.confirmed.id } },
    'GET /api/tickets/:code': { caller: 'anonymous', params: { code: f.confirmed.ticketCode } },
    'POST /api/tickets/:code/check-in': { caller: 'organizer', params: { code: f.confirmed.ticketCode } },
    'POST /api/events/:id/subscription': { caller: 'customer', params: { id: f.event.id } },
    'DELETE /api/events/:id/subscription': { caller: 'customer', params: { id: f.event.id } },
    'POST /api/events/:id/waitlist': { caller: 'customer', params: { id: f.waitlisted.id }, body: { quantity: 1 } },
    'GET /api/events/:id/waitlist/me': { caller: 'customer', params: { id: f.waitlisted.id } },
    'DELETE /api/events/:id/waitlist': { caller: 'customer', params: { id: f.waitlisted.id } },
    'GET /api/me/notifications': { caller: 'customer', params: none, query: { limit: '10' } },
    'POST /api/events/:id/queue': { caller: 'customer', params: { id: f.queuedEvent.id } },
    'GET /api/events/:id/queue/me': { caller: 'customer', params: { id: f.queuedEvent.id } },
    'GET /api/events/:id/queue': { caller: 'organizer', params: { id: f.queuedEvent.id } },
    'GET /api/events/:id/sales.csv': { caller: 'organizer', params: { id: f.event.id } },
    'GET /api/reports/sales': { caller: 'admin', params: none, query: { from: '2026-01-01', to: '2026-12-31' } },
    'GET /api/config': { caller: 'anonymous', params: none },
    'GET /healthz': { caller: 'anonymous', params: none },
    'GET /readyz': { caller: 'anonymous', params: none },
    'GET /metrics': { caller: 'anonymous', params: none },
    'GET /openapi.json': { caller: 'anonymous', params: none },
  };
}

export const routeKey = (route: Route): string => `${route.method.toUpperCase()} ${route.path}`;

/** Tokens no one may use: unsigned, wrongly signed, expired, tampered with, of a role that does not exist. */
export async function forgedTokens(secret: string, f: AbuseFixtures): Promise<string[]> {
  const key = new TextEncoder().encode(secret);
  const claims = { email: f.customer.email, name: 'Forged', role: 'admin' };
  const sign = (payload: Record<string, unknown>, build: (jwt: SignJWT) => SignJWT, signingKey = key) =>
    build(new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).setSubject(f.customer.id).setIssuer('boxoffice').setIssuedAt()).sign(signingKey);
  const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const [header, , signature] = f.customer.token.split('.');
  const payload = JSON.parse(Buffer.from(f.customer.token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
  return [
    // alg "none": no signature at all, claiming admin.
    new UnsecuredJWT(claims).setSubject(f.admin.id).setIssuer('boxoffice').setExpirationTime('1h').encode(),
    `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ ...payload, role: 'admin' })}.`,
    // Signed with another key.
    await sign(claims, (jwt) => jwt.setExpirationTime('1h'), new TextEncoder().encode('not the secret, but just as long as one')),
    // Signed with the right key, but expired an hour ago.
    await sign({ ...claims, role: 'customer' }, (jwt) => jwt.setExpirationTime(Math.floor(Date.now() / 1000) - 3600)),
    // The customer's own token with its role claim (or its subject) changed: the signature no longer matches.
    `${header}.${base64url({ ...payload, role: 'admin' })}.${signature}`,
    `${header}.${base64url({ ...payload, sub: f.admin.id })}.${signature}`,
    // Right key, but a role that does not exist, another issuer, another algorithm, no subject.
    await sign({ ...claims, role: 'superuser' }, (jwt) => jwt.setExpirationTime('1h')),
    await sign(claims, (jwt) => jwt.setExpirationTime('1h').setIssuer('evil')),
    await new SignJWT(claims).setProtectedHeader({ alg: 'HS512' }).setSubject(f.admin.id).setIssuer('boxoffice').setExpirationTime('1h').sign(key),
    await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer('boxoffice').setExpirationTime('1h').sign(key),
    // Truncated, and not a JWT at all.
    f.customer.token.slice(0, -5),
    'null',
    'eyJhbGciOiJub25lIn0',
  ];
}

/** Header-safe junk: printable ASCII (fetch refuses control characters and non-ASCII in header values). */
const headerText = (maxLength: number) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), minLength: 1, maxLength }).filter((text) => text.trim().length > 0);

const authorizations = (forged: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(...forged).map((token) => `Bearer ${token}`),
    fc.constantFrom(...forged).map((token) => `bearer ${token}`),
    headerText(300).map((junk) => `Bearer ${junk}`),
    headerText(300),
    fc.constantFrom('Bearer', 'Bearer  ', 'Basic YWRtaW46YWRtaW4=', 'Token abc', 'Bearer a.b.c', 'Bearer ...', `Bearer ${'A'.repeat(8000)}`),
  );

/** Values of every JSON type and none of the right ones: the hostile vocabulary of bodies. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(-1, -0.5, 0.5, 1.5, -2_147_483_649, 2_147_483_648, 2 ** 60, 1e21, -1e21, 1e308, -1e308, 5e-324, 0),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e309', '-0', '0x1F', '', ' ', 'null', 'undefined', 'true', '[object Object]'),
  fc.constantFrom('\u0000', '\u202e\u0041', '\u200b', '\ufeff', '\ud800', '\udfff', 'Ａ', 'e\u0301', '🎟️', "'; DROP TABLE identity.users; --", '../../etc/passwd', '%00', '${jndi:ldap://x}', '<script>alert(1)</script>'),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer({ min: 201, max: 20_000 }).map((length) => 'x'.repeat(length)),
  fc.integer({ min: 2, max: 2_000 }).map((count) => '🎭'.repeat(count)),
  fc.constantFrom(null, true, false),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Keys an attacker adds, hoping something reads them. */
const smuggledKeys = ['role', 'organizerId', 'customerId', 'status', 'amountCents', 'refundedCents', 'isAdmin', 'id', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

/** The body as the server sees it: what JSON.stringify keeps. */
const overTheWire = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? 'null') as unknown;

function hostileBodies(baseline: Record<string, unknown>, schema: z.ZodType): fc.Arbitrary<unknown> {
  const keys = [...new Set([...Object.keys(baseline), ...smuggledKeys])];
  return fc
    .oneof(
      // One field set to a hostile value (or a smuggled field added).
      fc.tuple(fc.constantFrom(...keys), hostileValue).map(([key, value]) => ({ ...baseline, [key]: value })),
      // Two at once.
      fc.tuple(fc.constantFrom(...keys), hostileValue, fc.constantFrom(...keys), hostileValue).map(([a, x, b, y]) => ({ ...baseline, [a]: x, [b]: y })),
      // A required field missing.
      fc.constantFrom(...Object.keys(baseline)).map((key) => Object.fromEntries(Object.entries(baseline).filter(([name]) => name !== key))),
      // Something else where an object belongs: an array of the body, a string, a number, null.
      fc.constantFrom<unknown>([baseline], [], JSON.stringify(baseline), 42, null, true),
      // A nested object where a value belongs, and prototype keys that survive JSON parsing.
      fc.constantFrom(...Object.keys(baseline)).map((key) => ({ ...baseline, [key]: { $gt: '', [key]: baseline[key] } })),
      fc.constantFrom({ constructor: { prototype: { role: 'admin' } } }, { prototype: { isAdmin: true } }).map((extra) => ({ ...baseline, ...extra })),
    )
    .map(overTheWire)
    // Only what the route's own schema refuses: this oracle is the contract, so 400 is the answer.
    .filter((body) => !schema.safeParse(body).success);
}

/** C0 control characters and DEL (no name, venue, token or email has a use for them), and lone surrogates. */
const controlCharacter = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.constant(0x7f), fc.integer({ min: 0xd800, max: 0xdfff })).map((code) => String.fromCharCode(code));
/** Free text allows line breaks and tabs, nothing else of C0. */
const multiLineFields = new Set(['description']);
const isLayoutCharacter = (char: string) => char === '\n' || char === '\r' || char === '\t';

/** Strings that JSON.parse accepts as nothing, or as more than it should. */
const malformedJson: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('{', '[', '{"a":', '{"a":1', '{"a":1}}', "{'a':1}", '{"a":NaN}', '{"a":Infinity}', '{"a":undefined}', '{a:1}', 'nul', 'tru', '{"a":1,}', '[1,]', '\u0000', '{"a":"\\u00"}', '{"a":01}', '"\\x41"'),
  // Prototype pollution: refused by the JSON parser itself.
  fc.constantFrom('{"__proto__":{"role":"admin"}}', '{"email":"a@b.test","__proto__":{"isAdmin":true}}', '[{"__proto__":{"x":1}}]', '{"a":{"b":{"__proto__":{"role":"admin"}}}}'),
  // JSON that is not an object or array (the parser is strict).
  fc.constantFrom('"a string"', '42', 'true', 'null', '-1e309'),
  // Deep nesting.
  fc.integer({ min: 1_000, max: 20_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth - 1)),
  fc.integer({ min: 1_000, max: 6_000 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth - 1)),
  // Random text that is not JSON.
  fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }).filter((text) => {
    try {
      JSON.parse(text);
      return false;
    } catch {
      return text.trim().length > 0;
    }
  }),
);

/**
 * Dates in the future that do not exist, or that a Date cannot hold: an event cannot start then.
 * (Past dates are another rule's business: issue 13, item 5.)
 */
const impossibleDates = fc.constantFrom(
  '2031-02-30T00:00:00Z', '2031-02-29T12:00:00Z', '2031-04-31T12:00:00Z', '2031-13-01T00:00:00Z', '2031-00-10T00:00:00Z', '2031-01-00T00:00:00Z',
  '2031-01-01T24:00:00Z', '2031-01-01T23:60:00Z', '2031-01-01T23:59:60Z', '2031-01-01T00:00:00+99:99', '2031-01-01T00:00:00+24:00', '2031-01-01T00:00:00-25:00',
  '+275760-09-14T00:00:00Z', '275760-09-13T00:00:00Z', '2031-01-01t00:00:00z', '2031-01-01 00:00:00Z', '20310101T000000Z', '2031-W01-1', '2031-01-01',
  'tomorrow', 'now', '1e12', '2031-01-01T00:00:00Z\u0000',
);

/**
 * Media types the JSON body parser does not read, so the route sees no body. (A charset parameter
 * on application/json is not among them: the body is always read as UTF-8, as RFC 8259 has it.)
 */
const wrongContentType: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('text/plain', 'text/html', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=----x', 'application/xml', 'application/octet-stream', 'image/png', 'application/jsonp', 'json', '*/*'),
  fc.tuple(fc.stringMatching(/^[a-z]{1,10}$/), fc.stringMatching(/^[a-z]{1,10}$/)).filter(([, subtype]) => !subtype.includes('json')).map(([type, subtype]) => `${type}/${subtype}`),
);

/**
 * Path segments that are no id: not uuids, not ticket codes, or codes of nothing. ("." and ".."
 * are not among them: the client resolves them before sending, to another, legitimate path.)
 */
const hostileIds: fc.Arbitrary<string> = fc.oneof(
  fc.uuid(),
  fc.constantFrom('0', '-1', 'null', 'undefined', 'NaN', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', `${randomUUID()}0`, randomUUID().slice(0, 35), `{${randomUUID()}}`, "' OR 1=1 --", '...', '%', '%2e%2e', '\u0000', '🎟️', 'a'.repeat(5_000)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
).filter((id) => id !== '.' && id !== '..');

/**
 * A request line or headers beyond Node's 16 KiB limit are refused by its HTTP parser with a bare
 * 431 before the app sees them: a refusal too, if not in the contract's shape.
 */
export const HEADERS_TOO_LARGE = 431;

function fillPath(path: string, params: Record<string, string>): string {
  return path.replace(/:([A-Za-z]+)/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
}

const methodsOf = (routes: readonly Route[], path: string) => new Set(routes.filter((route) => route.path === path).map((route) => route.method.toUpperCase()));

/**
 * Every hostile request for `route`: one arbitrary per kind of fault that applies to it, each
 * naming the statuses its refusal may have.
 */
export function hostileRequests(route: Route, routes: readonly Route[], fixtures: AbuseFixtures, forged: readonly string[], maxBodyBytes: number): fc.Arbitrary<HostileRequest> {
  const key = routeKey(route);
  const baseline = baselines(fixtures)[key];
  if (!baseline) throw new Error(`No hostile-input baseline for ${key}: add one to test/support/hostile-requests.ts`);
  const matrixRow = accessMatrix.find((row) => row.route === key);
  if (!matrixRow) throw new Error(`No access-matrix row for ${key}`);
  const method = route.method.toUpperCase();
  const tokenOf = (caller: Caller) => accountOf(fixtures, caller)?.token;
  const auth = (caller: Caller): Record<string, string> => {
    const token = tokenOf(caller);
    return token ? { authorization: `Bearer ${token}` } : {};
  };
  const queryString = (query: Record<string, string> | undefined) => (query ? `?${new URLSearchParams(query).toString()}` : '');
  const path = fillPath(route.path, baseline.params) + queryString(baseline.query);
  const jsonBody = baseline.body ? JSON.stringify(baseline.body) : undefined;
  const valid = (fault: string, expect: readonly number[], changes: Partial<Omit<HostileRequest, 'fault' | 'expect'>> = {}): HostileRequest => ({
    fault,
    method,
    path,
    headers: { ...auth(baseline.caller), ...(jsonBody ? { 'content-type': 'application/json' } : {}) },
    ...(jsonBody ? { body: jsonBody } : {}),
    expect,
    ...changes,
  });
  const withHeaders = (request: HostileRequest, headers: Record<string, string>): HostileRequest => ({ ...request, headers: { ...request.headers, ...headers } });
  const kinds: fc.Arbitrary<HostileRequest>[] = [];

  // Any Authorization header is verified, on every route, public ones included.
  kinds.push(authorizations(forged).map((authorization) => withHeaders(valid('forged auth', [401]), { authorization })));

  if (route.access !== 'public') {
    const noAuth: Record<string, string> = jsonBody ? { 'content-type': 'application/json' } : {};
    kinds.push(fc.constant(valid('missing auth', [401], { headers: noAuth })));
    // The same route spelled otherwise, hoping a check keyed on the exact path misses it.
    const [pathOnly = path, query = ''] = path.split('?');
    const variants = [pathOnly.toUpperCase(), `${pathOnly}/`, `/${pathOnly}`, pathOnly.replace('/api/', '/api//'), `${pathOnly};admin=true`, `${pathOnly}%20`, `${pathOnly}%00`, pathOnly.replace('/api/', '/Api/'), `${pathOnly}.json`];
    kinds.push(fc.constantFrom(...variants).map((variant) => valid(`path ${variant}`, [401, 404, 405], { path: query ? `${variant}?${query}` : variant, headers: noAuth })));
  }

  // Someone else, with a genuine token: other people's reservations, events and roles.
  const foreign = (['customer', 'otherCustomer', 'organizer', 'otherOrganizer', 'admin'] as const).filter((caller) => matrixRow.expected[caller] !== '2xx');
  if (foreign.length > 0) {
    kinds.push(fc.constantFrom(...foreign).map((caller) => valid(`caller ${caller}`, [Number(matrixRow.expected[caller])], { headers: { ...auth(caller), ...(jsonBody ? { 'content-type': 'application/json' } : {}) } })));
  }

  const paramNames = Object.keys(baseline.params);
  if (paramNames.length > 0) {
    kinds.push(
      fc.tuple(fc.constantFrom(...paramNames), hostileIds).map(([name, id]) => {
        const hostilePath = fillPath(route.path, { ...baseline.params, [name]: id }) + queryString(baseline.query);
        // ".." and "." move the request to another path (404 or 405 there).
        return valid(`param ${name}=${JSON.stringify(id).slice(0, 60)}`, [400, 404, 405, HEADERS_TOO_LARGE], { path: hostilePath });
      }),
    );
  }

  if (route.body && baseline.body) {
    const schema = route.body as z.ZodType;
    kinds.push(hostileBodies(baseline.body, schema).map((body) => valid(`body ${JSON.stringify(body).slice(0, 80)}`, [400], { body: JSON.stringify(body) })));
    const textFields = Object.entries(baseline.body).filter(([name, value]) => typeof value === 'string' && name !== 'password');
    // A body of numbers only (the waiting list's quantity) has no text to put a control character in.
    if (textFields.length > 0) kinds.push(
      fc
        .tuple(fc.constantFrom(...textFields), controlCharacter, fc.nat())
        .filter(([[name], char]) => !(multiLineFields.has(name) && isLayoutCharacter(char)))
        .map(([[name, value], char, at]) => {
          const text = String(value);
          const position = at % (text.length + 1);
          const body = { ...baseline.body, [name]: text.slice(0, position) + char + text.slice(position) };
          return valid(`character U+${char.charCodeAt(0).toString(16).padStart(4, '0')} in ${name}`, [400, 404], { body: JSON.stringify(body) });
        }),
    );
    if ('startsAt' in baseline.body) {
      kinds.push(impossibleDates.map((startsAt) => valid(`startsAt ${startsAt}`, [400], { body: JSON.stringify({ ...baseline.body, startsAt }) })));
    }
    kinds.push(wrongContentType.map((type) => withHeaders(valid(`content-type ${type}`, [400]), { 'content-type': type })));
    // Bigger than the limit: refused before it is parsed.
    kinds.push(fc.integer({ min: maxBodyBytes + 1, max: maxBodyBytes * 8 }).map((size) => valid(`oversized body of ${size} bytes`, [413], { body: JSON.stringify({ ...baseline.body, padding: 'x'.repeat(size) }) })));
  }
  if (method === 'POST' || method === 'PATCH') {
    // The JSON parser runs before any route: every POST and PATCH refuses bad JSON.
    kinds.push(malformedJson.map((text) => valid(`malformed JSON ${JSON.stringify(text.slice(0, 40))}`, [400], { body: text, headers: { ...auth(baseline.caller), 'content-type': 'application/json' } })));
  }

  if (route.query && baseline.query) {
    const schema = route.query as z.ZodType;
    const queryPart = fc.oneof(
      fc.tuple(fc.constantFrom(...Object.keys(baseline.query)), fc.oneof(hostileValue.map((value) => (typeof value === 'string' ? value : JSON.stringify(value) ?? '')), hostileIds)).map(([name, value]) => `${name}=${encodeQueryValue(value)}`),
      fc.constantFrom('limit=1&limit=2', `eventId=${fixtures.event.id}&eventId=${randomUUID()}`, 'limit[]=1', 'eventId[$ne]=x', 'limit=%zz', 'limit=1e309', 'limit=-0.5', 'eventId=%00', 'limit'),
    );
    kinds.push(
      queryPart
        .map((part) => `${new URLSearchParams(baseline.query).toString()}&${part}`)
        .filter((query) => !schema.safeParse(parseQuery(query)).success)
        .map((query) => valid(`query ${query.slice(0, 80)}`, [400, HEADERS_TOO_LARGE], { path: `${fillPath(route.path, baseline.params)}?${query}` })),
    );
  }

  if (route.headers) {
    const schema = route.headers as z.ZodType;
    kinds.push(
      fc
        .oneof(
          fc.record({ 'idempotency-key': fc.oneof(fc.integer({ min: 201, max: 5_000 }).map((length) => 'k'.repeat(length)), headerText(400)) }),
          fc.record({ 'booking-protocol': fc.oneof(fc.constantFrom('SAGA', '2PC', 'xa', '', 'saga, 2pc', 'saga\t'), headerText(50)) }),
        )
        // The server sees header values without surrounding spaces and tabs (RFC 9110 OWS).
        .filter((headers) => !schema.safeParse(Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, value.replace(/^[ \t]+|[ \t]+$/g, '')]))).success)
        .map((headers) => withHeaders(valid(`headers ${JSON.stringify(headers).slice(0, 80)}`, [400]), headers)),
    );
  }

  // A method the path does not serve (HEAD and OPTIONS are answered for every path by design).
  const served = methodsOf(routes, route.path);
  const unserved = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((other) => !served.has(other));
  if (unserved.length > 0) kinds.push(fc.constantFrom(...unserved).map((other) => valid(`method ${other}`, [405], { method: other, ...(other === 'GET' || other === 'DELETE' ? { body: undefined } : {}) })));

  return fc.oneof(...kinds);
}

/** Paths no route serves, under /api. */
export const unknownPaths: fc.Arbitrary<HostileRequest> = fc
  .tuple(fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'), fc.array(fc.oneof(fc.stringMatching(/^[a-z]{1,12}$/), hostileIds), { minLength: 1, maxLength: 4 }))
  .map(([method, segments]) => ({ fault: 'unknown path', method, path: `/api/x-${segments.map((segment) => encodeURIComponent(segment)).join('/')}`, headers: {}, expect: [404] }));
