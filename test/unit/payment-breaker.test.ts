import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { withCircuitBreaker, type BreakerState } from '../../activities/payment-breaker.js';
import { CardDeclinedError, createSimulatedGateway, GatewayUnavailableError, PaymentUnavailableError, type ChargeRequest, type PaymentGateway } from '../../activities/payment-gateway.js';

/** A gateway whose health the test sets; it counts the calls that reach it. */
class ScriptedGateway implements PaymentGateway {
  mode: 'up' | 'down' | 'decline' = 'up';
  charges = 0;
  refunds = 0;
  /** While set, charges wait for it (to hold a trial call open). */
  hold: Promise<void> | undefined;

  async charge(_request: ChargeRequest): Promise<{ reference: string }> {
    this.charges++;
    await this.hold;
    if (this.mode === 'down') throw new GatewayUnavailableError('down');
    if (this.mode === 'decline') throw new CardDeclinedError('declined');
    return { reference: `ch_${this.charges}` };
  }

  async refund(): Promise<{ reference: string }> {
    this.refunds++;
    if (this.mode === 'down') throw new GatewayUnavailableError('down');
    return { reference: 're' };
  }
}

const request = (n = 1): ChargeRequest => ({ idempotencyKey: `k${n}`, amountCents: 1000, currency: 'EUR', paymentToken: 'tok_visa' });
const HALF_OPEN_MS = 60;

function guarded(threshold = 3) {
  const gateway = new ScriptedGateway();
  const transitions: BreakerState[] = [];
  const breaker = withCircuitBreaker(gateway, { threshold, halfOpenAfterMs: HALF_OPEN_MS, onStateChange: (state) => transitions.push(state) });
  return { gateway, breaker, transitions };
}

const outcomeOf = (promise: Promise<unknown>) => promise.then(() => 'ok', (error: unknown) => (error as Error).name);

describe('the payment circuit breaker', () => {
  it('passes failures below the threshold through as they are (Temporal retries them), then fails fast without calling the gateway', async () => {
    const { gateway, breaker } = guarded(3);
    gateway.mode = 'down';
    for (let i = 0; i < 3; i++) await expect(breaker.charge(request(i))).rejects.toBeInstanceOf(GatewayUnavailableError);
    expect(breaker.breakerState).toBe('open');
    const started = performance.now();
    const refused = await breaker.charge(request(9)).catch((error: unknown) => error);
    expect(performance.now() - started).toBeLessThan(20);
    expect(refused).toBeInstanceOf(PaymentUnavailableError);
    expect((refused as PaymentUnavailableError).retryAfterMs).toBeGreaterThan(0);
    expect((refused as PaymentUnavailableError).retryAfterMs).toBeLessThanOrEqual(HALF_OPEN_MS);
    expect(gateway.charges).toBe(3);
  });

  it('stays closed while failures are mixed with successes', async () => {
    const { gateway, breaker } = guarded(3);
    for (let round = 0; round < 5; round++) {
      gateway.mode = 'down';
      await expect(breaker.charge(request())).rejects.toBeInstanceOf(GatewayUnavailableError);
      await expect(breaker.charge(request())).rejects.toBeInstanceOf(GatewayUnavailableError);
      gateway.mode = 'up';
      await expect(breaker.charge(request())).resolves.toMatchObject({ reference: expect.any(String) });
    }
    expect(breaker.breakerState).toBe('closed');
  });

  it('never counts a decline as a gateway failure: declines pass through, and one resets the count', async () => {
    const { gateway, breaker } = guarded(3);
    gateway.mode = 'decline';
    for (let i = 0; i < 10; i++) await expect(breaker.charge(request(i))).rejects.toBeInstanceOf(CardDeclinedError);
    expect(breaker.breakerState).toBe('closed');
    for (let round = 0; round < 3; round++) {
      gateway.mode = 'down';
      await expect(breaker.charge(request())).rejects.toBeInstanceOf(GatewayUnavailableError);
      await expect(breaker.charge(request())).rejects.toBeInstanceOf(GatewayUnavailableError);
      gateway.mode = 'decline';
      await expect(breaker.charge(request())).rejects.toBeInstanceOf(CardDeclinedError);
    }
    expect(breaker.breakerState).toBe('closed');
    expect(gateway.charges).toBe(19);
  });

  it('lets one trial charge through after the half-open delay while the others wait for it; success closes it', async () => {
    const { gateway, breaker, transitions } = guarded(2);
    gateway.mode = 'down';
    for (let i = 0; i < 2; i++) await breaker.charge(request(i)).catch(() => {});
    gateway.mode = 'up';
    await expect(breaker.charge(request())).rejects.toBeInstanceOf(PaymentUnavailableError);
    await delay(HALF_OPEN_MS + 10);
    let release: () => void = () => {};
    gateway.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const calls = [breaker.charge(request(1)), breaker.charge(request(2)), breaker.charge(request(3))].map(outcomeOf);
    await delay(10);
    expect(gateway.charges).toBe(3);
    expect(breaker.breakerState).toBe('half_open');
    release();
    expect(await Promise.all(calls)).toEqual(['ok', 'ok', 'ok']);
    expect(gateway.charges).toBe(5);
    expect(breaker.breakerState).toBe('closed');
    expect(transitions).toEqual(['open', 'half_open', 'closed']);
  });

  it('opens again when the trial fails, and a declined trial closes it (the gateway answered)', async () => {
    const { gateway, breaker, transitions } = guarded(2);
    gateway.mode = 'down';
    for (let i = 0; i < 2; i++) await breaker.charge(request(i)).catch(() => {});
    await delay(HALF_OPEN_MS + 10);
    await expect(breaker.charge(request())).rejects.toBeInstanceOf(GatewayUnavailableError);
    expect(breaker.breakerState).toBe('open');
    await expect(breaker.charge(request())).rejects.toBeInstanceOf(PaymentUnavailableError);
    await delay(HALF_OPEN_MS + 10);
    gateway.mode = 'decline';
    await expect(breaker.charge(request())).rejects.toBeInstanceOf(CardDeclinedError);
    expect(breaker.breakerState).toBe('closed');
    gateway.mode = 'down';
    await expect(breaker.charge(request())).rejects.toBeInstanceOf(GatewayUnavailableError);
    expect(breaker.breakerState).toBe('closed');
    expect(transitions).toEqual(['open', 'half_open', 'open', 'half_open', 'closed']);
  });

  it('keeps refunds out of it: they reach the gateway while it is open', async () => {
    const { gateway, breaker } = guarded(1);
    gateway.mode = 'down';
    await breaker.charge(request()).catch(() => {});
    expect(breaker.breakerState).toBe('open');
    gateway.mode = 'up';
    await expect(breaker.refund({ idempotencyKey: 'k:refund', chargeReference: 'ch', amountCents: 1000 })).resolves.toEqual({ reference: 're' });
    expect(gateway.refunds).toBe(1);
  });
});

describe('the simulated gateway', () => {
  it('is down while PAYMENT_GATEWAY_DOWN_FILE exists, checked on every call', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'boxoffice-gateway-'));
    try {
      const downFile = join(folder, 'down');
      const gateway = createSimulatedGateway({ failureRate: 0, latencyMs: 0, downFile });
      await expect(gateway.charge(request())).resolves.toMatchObject({ reference: expect.stringMatching(/^ch_/) });
      await writeFile(downFile, '');
      await expect(gateway.charge(request())).rejects.toBeInstanceOf(GatewayUnavailableError);
      await expect(gateway.refund({ idempotencyKey: 'r', chargeReference: 'ch', amountCents: 1 })).rejects.toBeInstanceOf(GatewayUnavailableError);
      await rm(downFile);
      await expect(gateway.charge(request())).resolves.toMatchObject({ reference: expect.stringMatching(/^ch_/) });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
