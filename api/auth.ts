import { hash, verify, type Options as Argon2Options } from '@node-rs/argon2';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import pLimit from 'p-limit';
import { z } from 'zod';
import { userRoles, type UserRole } from '../db/schema/identity.js';
import { Unauthorized } from './errors.js';

export interface AuthUser {
  id: string;
  email: string;
  name: string;
  role: UserRole;
}

/**
 * Argon2id, memory-hard: 7 MiB and 5 passes, one of OWASP's equivalent settings. That memory
 * cost, and at most two hashes at once, keep the API's resident memory bounded when many accounts
 * register or log in together (80 at once reached 250 MiB with a larger cost).
 * Hashes made with other parameters still verify: the parameters are stored in the hash.
 */
const argon2Options: Argon2Options = { memoryCost: 7168, timeCost: 5, parallelism: 1 };
const hashing = pLimit(2);
export const hashPassword = (password: string): Promise<string> => hashing(() => hash(password, argon2Options));
export const verifyPassword = (passwordHash: string, password: string): Promise<boolean> => hashing(() => verify(passwordHash, password));

const claims = z.object({ sub: z.uuid(), email: z.string(), name: z.string(), role: z.enum(userRoles) });

export class Tokens {
  private readonly key: Uint8Array;
  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  issue(user: AuthUser): Promise<string> {
    return new SignJWT({ email: user.email, name: user.name, role: user.role })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .setIssuer('boxoffice')
      .sign(this.key);
  }

  async verify(token: string): Promise<AuthUser> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: 'boxoffice', algorithms: ['HS256'] });
      const parsed = claims.parse(payload);
      return { id: parsed.sub, email: parsed.email, name: parsed.name, role: parsed.role };
    } catch (error) {
      const expired = error instanceof joseErrors.JWTExpired;
      throw new Unauthorized(expired ? 'The token has expired: log in again' : 'The bearer token is not valid');
    }
  }
}
