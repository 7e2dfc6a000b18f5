import { hash, verify, type Options as Argon2Options } from '@node-rs/argon2';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { LRUCache } from 'lru-cache';
import pLimit from 'p-limit';
import { z } from 'zod';
import { userRoles, type UserRole } from '../db/schema/identity.js';
import { AdmissionTokens } from './admission-tokens.js';
import { ServiceUnavailable } from './dependency-errors.js';
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
/** For tools (demo data, the load script's accounts): one process, a few hashes, no queue bound. */
const toolHashing = pLimit(2);
export const hashPassword = (password: string): Promise<string> => toolHashing(() => hash(password, argon2Options));

/** How long a client refused by a full hash queue is asked to wait: the queue drains in about that. */
const FULL_QUEUE_RETRY_AFTER_SECONDS = 1;

/**
 * The API's password hashing: at most `concurrency` hashes at once (memory), and at most `maxQueued`
 * waiting (latency): beyond that register and login answer 503 at once instead of queueing
 * without bound, where every waiting request holds a socket and the answer would come too late
 * to matter anyway.
 */
export class PasswordHasher {
  private readonly limit: ReturnType<typeof pLimit>;
  constructor(
    concurrency: number,
    private readonly maxQueued: number,
  ) {
    this.limit = pLimit(concurrency);
  }

  hash(password: string): Promise<string> {
    return this.run(() => hash(password, argon2Options));
  }

  verify(passwordHash: string, password: string): Promise<boolean> {
    return this.run(() => verify(passwordHash, password));
  }

  private run<T>(work: () => Promise<T>): Promise<T> {
    // pendingCount: waiting for a turn; activeCount: being hashed now.
    if (this.limit.activeCount >= this.limit.concurrency && this.limit.pendingCount >= this.maxQueued) {
      return Promise.reject(
        new ServiceUnavailable('password_hashing', FULL_QUEUE_RETRY_AFTER_SECONDS, `Too many logins and registrations at once; try again in ${FULL_QUEUE_RETRY_AFTER_SECONDS} s`),
      );
    }
    return this.limit(work);
  }
}

const claims = z.object({ sub: z.uuid(), email: z.string(), name: z.string(), role: z.enum(userRoles), exp: z.number() });

export interface VerifiedToken {
  user: AuthUser;
  expiresAtMs: number;
}

/**
 * The HS256 key, imported into WebCrypto once. Given the secret's bytes, jose imports them again on
 * every sign and verify; given the key, it goes straight to the HMAC: ~40% less CPU a verification,
 * which every authenticated request pays (docs/performance.md, "What a refusal costs").
 */
export function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}

const EXPIRED = 'The token has expired: log in again';
/** How many verified tokens each API process remembers (least recently used forgotten first). */
const MAX_VERIFIED_TOKENS = 10_000;

export class Tokens {
  private readonly key: Promise<CryptoKey>;
  /**
   * A token seen before is not verified again: its signature, issuer and algorithm are facts of its
   * text, so only its expiry can change, and that is checked on every use. The HMAC runs as a
   * WebCrypto job on libuv's thread pool, and under load the hop there and back cost more than
   * anything else a refused booking did (docs/performance.md, "What a refusal costs"). A token that
   * fails verification is never remembered. Who the account is now is still read per request
   * (api/accounts.ts).
   */
  private readonly verified = new LRUCache<string, VerifiedToken>({ max: MAX_VERIFIED_TOKENS });
  /** Admission tokens of the waiting room: the same key, another audience (api/admission-tokens.ts). */
  readonly admission: AdmissionTokens;
  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = hmacKey(secret);
    this.admission = new AdmissionTokens(this.key);
  }

  async issue(user: AuthUser): Promise<string> {
    return new SignJWT({ email: user.email, name: user.name, role: user.role })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .setIssuer('boxoffice')
      .sign(await this.key);
  }

  async verify(token: string): Promise<AuthUser> {
    return (await this.verifyClaims(token)).user;
  }

  /** The token's user as it was when the token was issued, and when the token stops being valid. */
  async verifyClaims(token: string): Promise<VerifiedToken> {
    const known = this.verified.get(token);
    if (known) {
      // jose's rule: expired once the clock reaches `exp`.
      if (Date.now() < known.expiresAtMs) return known;
      this.verified.delete(token);
      throw new Unauthorized(EXPIRED);
    }
    try {
      const { payload } = await jwtVerify(token, await this.key, { issuer: 'boxoffice', algorithms: ['HS256'] });
      const parsed = claims.parse(payload);
      // Frozen: every later request with this token gets the very same object.
      const verified = Object.freeze({ user: Object.freeze({ id: parsed.sub, email: parsed.email, name: parsed.name, role: parsed.role }), expiresAtMs: parsed.exp * 1000 });
      this.verified.set(token, verified);
      return verified;
    } catch (error) {
      const expired = error instanceof joseErrors.JWTExpired;
      throw new Unauthorized(expired ? EXPIRED : 'The bearer token is not valid');
    }
  }
}
