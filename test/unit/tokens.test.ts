import { describe, expect, it } from 'vitest';
import { Tokens } from '../../api/auth.js';
import { ApiError } from '../../api/errors.js';

const SECRET = 'a-test-secret-of-at-least-thirty-two-bytes';
const user = { id: '6b1f4f5e-9c1e-4b8e-9a49-0c3f4a1d2e7b', email: 'ann@example.test', name: 'Ann', role: 'customer' as const };

/** "401 message" of what verifying `token` threw. */
async function refusal(tokens: Tokens, token: string): Promise<string> {
  try {
    await tokens.verifyClaims(token);
  } catch (error) {
    if (error instanceof ApiError) return `${error.status} ${error.message}`;
    throw error;
  }
  return 'accepted';
}

describe('bearer tokens verified before', () => {
  it('are not verified again: the same claims, until the token expires, then 401 as jose says it', async () => {
    const tokens = new Tokens(SECRET, 1);
    const token = await tokens.issue(user);
    const first = await tokens.verifyClaims(token);
    expect(first.user).toEqual(user);
    // The very same object: nothing was decoded or checked again.
    expect(await tokens.verifyClaims(token)).toBe(first);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, first.expiresAtMs - Date.now()) + 10));
    expect(await refusal(tokens, token)).toBe('401 The token has expired: log in again');
    // And after: a fresh process would say the same.
    expect(await refusal(tokens, token)).toBe('401 The token has expired: log in again');
    expect(await refusal(new Tokens(SECRET, 1), token)).toBe('401 The token has expired: log in again');
  });

  it('does not vouch for another text: a changed signature, or a token of another key, is checked and refused', async () => {
    const tokens = new Tokens(SECRET, 3600);
    const token = await tokens.issue(user);
    await tokens.verifyClaims(token);
    const [header, payload, signature = ''] = token.split('.');
    const flipped = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expect(await refusal(tokens, flipped)).toBe('401 The bearer token is not valid');
    const foreign = await new Tokens('another-secret-of-at-least-thirty-two-bytes', 3600).issue(user);
    expect(await refusal(tokens, foreign)).toBe('401 The bearer token is not valid');
    // A refusal is not remembered either.
    expect(await refusal(tokens, foreign)).toBe('401 The bearer token is not valid');
    expect((await tokens.verifyClaims(token)).user).toEqual(user);
  });

  it('hands out frozen claims, so that no request can change what the next one sees', async () => {
    const tokens = new Tokens(SECRET, 3600);
    const verified = await tokens.verifyClaims(await tokens.issue(user));
    expect(Object.isFrozen(verified)).toBe(true);
    expect(Object.isFrozen(verified.user)).toBe(true);
  });
});
