import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { ADMISSION_AUDIENCE, AdmissionTokens } from '../../api/admission-tokens.js';
import { hmacKey, Tokens } from '../../api/auth.js';
import { DomainError } from '../../api/errors.js';
import { adaptiveAdmissions, assumedSlotMs, estimateAdmitPerMinute, estimatedWaitSeconds, fixedRateAdmissions, nextAdmissionWindow, positionOf } from '../../lib/waiting-room.js';

const limits = { min: 10, max: 100, targetLatencyMs: 1_000 };

describe('positions and estimates', () => {
  it('a place’s position is how far it is behind the last admitted place; the estimate follows the rate', () => {
    expect(positionOf(15, 10)).toBe(5);
    expect(positionOf(11, 10)).toBe(1);
    expect(positionOf(3, 10)).toBe(1);
    expect(estimatedWaitSeconds(5, 60)).toBe(5);
    expect(estimatedWaitSeconds(1, 7)).toBe(9);
    expect(estimatedWaitSeconds(5, 0)).toBeNull();
  });
});

describe('the fixed rate', () => {
  it('admits exactly the rate per minute over ticks of any spacing, carrying fractions over', () => {
    let carry = 0;
    let admitted = 0;
    const spacings = [1000, 1300, 700, 1000, 2000, 500, 1000, 1500, 1000, 1000];
    for (let minute = 0; minute < 6; minute++) {
      for (const elapsedMs of spacings) {
        const tick = fixedRateAdmissions({ admitPerMinute: 90, elapsedMs, carry });
        admitted += tick.admit;
        carry = tick.carry;
      }
    }
    // 6 × 11 s = 66 s at 90 a minute: 99, give or take the fraction still carried.
    expect(admitted).toBe(Math.floor((90 * 66) / 60));
  });

  it('90 a minute at one tick a second admits 1, 2, 1, 2, …', () => {
    let carry = 0;
    const admits = [];
    for (let i = 0; i < 6; i++) {
      const tick = fixedRateAdmissions({ admitPerMinute: 90, elapsedMs: 1000, carry });
      admits.push(tick.admit);
      carry = tick.carry;
    }
    expect(admits).toEqual([1, 2, 1, 2, 1, 2]);
  });
});

describe('the adaptive rule', () => {
  it('shrinks the window to three quarters when admitted buyers’ bookings are slower than the target, never below the minimum', () => {
    expect(nextAdmissionWindow({ window: 40, used: 40, p99LatencyMs: 1_500, limits })).toBe(30);
    expect(nextAdmissionWindow({ window: 12, used: 3, p99LatencyMs: 5_000, limits })).toBe(10);
  });

  it('grows in proportion to the headroom under the target (at most half again) when every slot was used during the tick, never above the maximum', () => {
    // Bookings at a quarter of the target: the most a tick may grow, half again.
    expect(nextAdmissionWindow({ window: 40, used: 40, p99LatencyMs: 250, limits })).toBe(60);
    // Near the target: a little, and not at all when one more buyer would not fit under it.
    expect(nextAdmissionWindow({ window: 40, used: 40, p99LatencyMs: 900, limits })).toBe(44);
    expect(nextAdmissionWindow({ window: 10, used: 12, p99LatencyMs: 900, limits })).toBe(11);
    expect(nextAdmissionWindow({ window: 10, used: 12, p99LatencyMs: 990, limits })).toBe(10);
    expect(nextAdmissionWindow({ window: 98, used: 98, p99LatencyMs: 300, limits })).toBe(100);
  });

  it('grows a window too small for a fraction by one while bookings take at most two thirds of the target', () => {
    expect(nextAdmissionWindow({ window: 1, used: 1, p99LatencyMs: 600, limits: { ...limits, min: 1 } })).toBe(2);
    expect(nextAdmissionWindow({ window: 1, used: 1, p99LatencyMs: 700, limits: { ...limits, min: 1 } })).toBe(1);
  });

  it('counts a slot that turned over within the tick as used: buyers who booked since the last tick filled it', () => {
    // 10 admitted, all booked before the tick looked: nobody is unfinished, yet every slot was used.
    expect(nextAdmissionWindow({ window: 10, used: 0 + 10, p99LatencyMs: 500, limits })).toBe(15);
  });

  it('grows by one when every slot is taken and nobody booked for a while: the slots are held by buyers who are not booking', () => {
    // Seven admitted buyers refused (the last seat does not fit their party) hold a window of 5.
    expect(nextAdmissionWindow({ window: 5, used: 7, p99LatencyMs: null, bookedRecently: 0, limits: { ...limits, min: 5 } })).toBe(6);
    // Someone booked lately: the stack, not idle buyers, is what the window waits for.
    expect(nextAdmissionWindow({ window: 5, used: 7, p99LatencyMs: null, bookedRecently: 2, limits: { ...limits, min: 5 } })).toBe(5);
    // Slots free: the line is short, nothing to grow for.
    expect(nextAdmissionWindow({ window: 5, used: 3, p99LatencyMs: null, bookedRecently: 0, limits: { ...limits, min: 5 } })).toBe(5);
  });

  it('stays put without a latency sample, or when buyers leave the window unused', () => {
    expect(nextAdmissionWindow({ window: 40, used: 40, p99LatencyMs: null, limits })).toBe(40);
    expect(nextAdmissionWindow({ window: 40, used: 10, p99LatencyMs: 300, limits })).toBe(40);
  });

  it('admits what the window has room for', () => {
    expect(adaptiveAdmissions(40, 25, 300)).toBe(15);
    expect(adaptiveAdmissions(20, 25, 300)).toBe(0);
  });

  it('fills half the window with the sale’s first admissions, all of it from then on', () => {
    expect(adaptiveAdmissions(10, 0, 0)).toBe(5);
    expect(adaptiveAdmissions(5, 0, 0)).toBe(3);
    expect(adaptiveAdmissions(1, 0, 0)).toBe(1);
    expect(adaptiveAdmissions(10, 5, 5)).toBe(5);
    expect(adaptiveAdmissions(10, 0, 5)).toBe(10);
  });

  it('a fixed rate is the estimate’s rate, whatever was measured', () => {
    expect(estimateAdmitPerMinute({ fixed: 120, window: 10, meanSlotMs: 1_000, samples: 50, admittedRecently: 3, recentSpanMs: 10_000, assumedSlotMs: 1_000 })).toBe(120);
  });

  it('the adaptive rate is the admissions actually made over the last seconds, once there are 5 s of them: a sawing window averages out', () => {
    expect(estimateAdmitPerMinute({ fixed: null, window: 20, meanSlotMs: 1_000, samples: 40, admittedRecently: 150, recentSpanMs: 10_000, assumedSlotMs: 1_000 })).toBe(900);
    expect(estimateAdmitPerMinute({ fixed: null, window: 5, meanSlotMs: 2_000, samples: 12, admittedRecently: 50, recentSpanMs: 5_000, assumedSlotMs: 1_000 })).toBe(600);
  });

  it('before that, Little’s law on the first bookings (window over the time a slot stays taken), and before any booking the slot time the window is sized for', () => {
    // 10 slots, each refilled every 2 s: 5 a second.
    expect(estimateAdmitPerMinute({ fixed: null, window: 10, meanSlotMs: 2_000, samples: 12, admittedRecently: 20, recentSpanMs: 3_000, assumedSlotMs: 1_000 })).toBe(300);
    // Too few bookings measured, and too short a span: 10 slots of the assumed 1 s.
    expect(estimateAdmitPerMinute({ fixed: null, window: 10, meanSlotMs: 1_000, samples: 2, admittedRecently: 10, recentSpanMs: 1_000, assumedSlotMs: 1_000 })).toBe(600);
    expect(estimateAdmitPerMinute({ fixed: null, window: 10, meanSlotMs: null, samples: 0, admittedRecently: 0, recentSpanMs: 10_000, assumedSlotMs: 2_000 })).toBe(300);
  });

  it('assumes a slot takes the latency target rounded up to whole ticks', () => {
    expect(assumedSlotMs({ min: 10, max: 200, targetLatencyMs: 800 }, 1_000)).toBe(1_000);
    expect(assumedSlotMs({ min: 10, max: 200, targetLatencyMs: 1_200 }, 1_000)).toBe(2_000);
    expect(assumedSlotMs({ min: 10, max: 200, targetLatencyMs: 800 }, 250)).toBe(1_000);
  });
});

describe('admission tokens', () => {
  const secret = 'unit-test-secret-of-at-least-32-bytes!';
  const tokens = new Tokens(secret, 3600);
  const accountId = '6f1c1f34-8c1f-4b8e-9d53-2c1f0e6d0a11';
  const eventId = '0b7f0b4e-2f43-4a55-8a0e-3d0c3f1f9c22';
  const admission = { accountId, eventId, place: 7, expiresAt: new Date(Date.now() + 60_000) };
  const codeOf = async (promise: Promise<unknown>) => {
    try {
      await promise;
      return 'accepted';
    } catch (error) {
      return error instanceof DomainError ? `${error.status} ${error.code}` : String(error);
    }
  };

  it('carry the account, the event and the place, expire with the window, and are the same whoever signs them', async () => {
    const token = await tokens.admission.issue(admission);
    expect(await tokens.admission.issue(admission)).toBe(token);
    expect(await new Tokens(secret, 60).admission.issue(admission)).toBe(token);
    const claims = await tokens.admission.verify(token, { accountId, eventId });
    expect(claims).toEqual({ accountId, eventId, place: 7, expiresAt: new Date(Math.floor(admission.expiresAt.getTime() / 1000) * 1000) });
  });

  it('refuse another account’s or event’s, a missing, forged or bearer token (403), and an expired one (410)', async () => {
    const token = await tokens.admission.issue(admission);
    expect(await codeOf(tokens.admission.verify(token, { accountId: eventId, eventId }))).toBe('403 admission_required');
    expect(await codeOf(tokens.admission.verify(token, { accountId, eventId: accountId }))).toBe('403 admission_required');
    expect(await codeOf(tokens.admission.verify(undefined, { accountId, eventId }))).toBe('403 admission_required');
    expect(await codeOf(new AdmissionTokens(hmacKey('another-secret-of-at-least-32-bytes!!')).verify(token, { accountId, eventId }))).toBe('403 admission_required');
    const bearer = await tokens.issue({ id: accountId, email: 'a@example.test', name: 'A', role: 'customer' });
    expect(await codeOf(tokens.admission.verify(bearer, { accountId, eventId }))).toBe('403 admission_required');
    const unsigned = await new SignJWT({ evt: eventId, plc: 1 }).setProtectedHeader({ alg: 'HS256' }).setSubject(accountId).setIssuer('boxoffice').setAudience(ADMISSION_AUDIENCE).setExpirationTime('1m').sign(new TextEncoder().encode('x'.repeat(32)));
    expect(await codeOf(tokens.admission.verify(unsigned, { accountId, eventId }))).toBe('403 admission_required');
    const expired = await tokens.admission.issue({ ...admission, expiresAt: new Date(Date.now() - 5_000) });
    expect(await codeOf(tokens.admission.verify(expired, { accountId, eventId }))).toBe('410 admission_expired');
  });

  it('do not pass for a bearer token', async () => {
    const token = await tokens.admission.issue(admission);
    await expect(tokens.verify(token)).rejects.toMatchObject({ code: 'unauthorized' });
  });
});
