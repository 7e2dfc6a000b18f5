import { hash, verify } from '@node-rs/argon2';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { z } from 'zod';
import { userRoles, type UserRole } from '../db/schema/identity.js';
import { Unauthorized } from './errors.js';

export interface AuthUser {
  id: string;
  email: string;
  name: string;
  role: UserRole;
}

/** Argon2id (memory-hard) with the library's defaults: 19 MiB, 2 passes, as OWASP recommends. */
export const hashPassword = (password: string): Promise<string> => hash(password);
export const verifyPassword = (passwordHash: string, password: string): Promise<boolean> => verify(passwordHash, password);

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
