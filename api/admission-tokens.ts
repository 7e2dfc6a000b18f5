import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { z } from 'zod';
import { DomainError } from './errors.js';
import { Failure } from '../lib/failures.js';

/** Bearer tokens have no audience; an admission token has this one, so neither passes for the other. */
export const ADMISSION_AUDIENCE = 'boxoffice:admission';

export interface AdmissionClaims {
  accountId: string;
  eventId: string;
  place: number;
  expiresAt: Date;
}

const claims = z.object({ sub: z.uuid(), evt: z.uuid(), plc: z.int().positive(), exp: z.number() });

/**
 * Admission tokens (docs/waiting-room.md): HS256 with the API's JWT key, bound to the account, the
 * event and the place, valid until the admission window ends. No `iat`: the claims come from the
 * place's row, so every API process signs the very same token for the same admission.
 */
export class AdmissionTokens {
  constructor(private readonly key: Promise<CryptoKey>) {}

  async issue(admission: AdmissionClaims): Promise<string> {
    return new SignJWT({ evt: admission.eventId, plc: admission.place })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(admission.accountId)
      .setIssuer('boxoffice')
      .setAudience(ADMISSION_AUDIENCE)
      .setExpirationTime(Math.floor(admission.expiresAt.getTime() / 1000))
      .sign(await this.key);
  }

  /**
   * The token's admission, if it is one for this account and event: 403 `admission_required` for
   * anything else (no token, a forged or foreign one, a bearer token), 410 `admission_expired` for
   * one whose window is over.
   */
  async verify(token: string | undefined, expected: { accountId: string; eventId: string }): Promise<AdmissionClaims> {
    if (!token) throw new DomainError(Failure.AdmissionRequired);
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, await this.key, { issuer: 'boxoffice', audience: ADMISSION_AUDIENCE, algorithms: ['HS256'] }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new DomainError(Failure.AdmissionExpired);
      throw new DomainError(Failure.AdmissionRequired, 'The Admission-Token is not a valid admission: join the queue and use the token it gives you');
    }
    const parsed = claims.safeParse(payload);
    if (!parsed.success) throw new DomainError(Failure.AdmissionRequired, 'The Admission-Token is not a valid admission: join the queue and use the token it gives you');
    if (parsed.data.sub !== expected.accountId || parsed.data.evt !== expected.eventId) {
      throw new DomainError(Failure.AdmissionRequired, 'This admission is for another account or event: book with your own');
    }
    return { accountId: parsed.data.sub, eventId: parsed.data.evt, place: parsed.data.plc, expiresAt: new Date(parsed.data.exp * 1000) };
  }
}
