import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { isUniqueViolation } from '../../db/errors.js';
import { users } from '../../db/schema/identity.js';
import type { AppDeps, RequestGuards } from '../deps.js';
import { hashPassword, type AuthUser } from '../auth.js';
import { EmailTaken, InvalidCredentials, NotFound } from '../errors.js';
import { route } from '../route.js';
import { singleLineText } from './text.js';
import { session, user as userSchema, userList, type User } from '../contract/index.js';

const email = z.email().max(254).transform((value) => value.toLowerCase());

const registerBody = z.strictObject({
  email,
  password: z.string().min(8, 'Password must have at least 8 characters').max(200),
  name: singleLineText().trim().min(1).max(100),
  role: z.enum(['customer', 'organizer']).default('customer'),
});

const loginBody = z.strictObject({ email, password: z.string().min(1).max(200) });

const publicUser = (user: typeof users.$inferSelect): User & AuthUser => ({ id: user.id, email: user.email, name: user.name, role: user.role });

export function identityRoutes({ db, tokens }: AppDeps, { limits, passwords }: RequestGuards) {
  return [
    route({
      method: 'post',
      path: '/api/auth/register',
      summary: 'Create a customer or organizer account',
      tag: 'identity',
      access: 'public',
      body: registerBody,
      responses: {
        201: { description: 'The new user and a bearer token', body: session },
        400: 'Invalid input',
        409: 'Email already registered',
        429: 'Too many registrations from this address; see Retry-After',
        503: 'Too many logins and registrations at once; see Retry-After',
      },
      async handler(ctx, { body }) {
        await limits.registration(ctx.ip);
        const passwordHash = await passwords.hash(body.password);
        const [created] = await db
          .insert(users)
          .values({ email: body.email, name: body.name, role: body.role, passwordHash })
          .returning()
          .catch((error: unknown) => {
            if (isUniqueViolation(error)) {
              throw new EmailTaken(`An account with ${body.email} already exists`);
            }
            throw error;
          });
        if (!created) throw new Error('insert returned no row');
        const user = publicUser(created);
        ctx.status = 201;
        ctx.set('Location', '/api/me');
        ctx.body = { user, token: await tokens.issue(user) };
      },
    }),
    route({
      method: 'post',
      path: '/api/auth/login',
      summary: 'Exchange email and password for a bearer token',
      tag: 'identity',
      access: 'public',
      body: loginBody,
      responses: {
        200: { description: 'The user and a bearer token', body: session },
        400: 'Invalid input',
        401: 'Wrong email or password',
        429: 'Too many failed logins for this account or from this address; see Retry-After',
        503: 'Too many logins and registrations at once; see Retry-After',
      },
      async handler(ctx, { body }) {
        // Before the hash: a locked-out guesser costs no hashing, and gets no answer about the password.
        await limits.beforeLogin(body.email, ctx.ip);
        const [found] = await db.select().from(users).where(eq(users.email, body.email));
        // Verify against a hash even when the user is unknown, so timing does not reveal accounts.
        const ok = await passwords.verify(found?.passwordHash ?? (await dummyHash), body.password);
        if (!found || !ok) {
          await limits.loginFailed(body.email, ctx.ip);
          throw new InvalidCredentials('Email or password is wrong');
        }
        await limits.loginSucceeded(body.email);
        const user = publicUser(found);
        ctx.body = { user, token: await tokens.issue(user) };
      },
    }),
    route({
      method: 'get',
      path: '/api/me',
      summary: 'The logged-in user',
      tag: 'identity',
      access: 'user',
      responses: { 200: { description: 'The user', body: userSchema }, 401: 'No valid token' },
      async handler(ctx, { user }) {
        const [found] = await db.select().from(users).where(eq(users.id, user.id));
        if (!found) throw new NotFound('user_not_found', 'This account no longer exists');
        ctx.body = publicUser(found);
      },
    }),
    route({
      method: 'get',
      path: '/api/users',
      summary: 'All users (admin)',
      tag: 'identity',
      access: ['admin'],
      responses: { 200: { description: 'Users', body: userList }, 401: 'No valid token', 403: 'Not an admin' },
      async handler(ctx) {
        const rows = await db.select().from(users).orderBy(asc(users.createdAt));
        ctx.body = { users: rows.map(publicUser) };
      },
    }),
  ];
}

/** A hash of a random throw-away password, with the current parameters, for unknown emails. */
const dummyHash = hashPassword(randomUUID());
