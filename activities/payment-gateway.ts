import { access } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * The card processor behind the payment activities. Boxoffice ships a simulated one whose behaviour
 * the payment token chooses (README, "Payment tokens"); a real processor implements the same interface.
 */
export interface ChargeRequest {
  idempotencyKey: string;
  amountCents: number;
  currency: string;
  paymentToken: string;
}

export interface PaymentGateway {
  /**
   * Resolves with the processor's reference, or throws CardDeclinedError / GatewayUnavailableError
   * (or, behind the circuit breaker, PaymentUnavailableError).
   */
  charge(request: ChargeRequest): Promise<{ reference: string }>;
  refund(request: { idempotencyKey: string; chargeReference: string; amountCents: number }): Promise<{ reference: string }>;
}

/** The card was refused: retrying will not help. */
export class CardDeclinedError extends Error {
  override name = 'CardDeclinedError';
}

/** The processor could not answer now: retry later. */
export class GatewayUnavailableError extends Error {
  override name = 'GatewayUnavailableError';
}

/** The circuit breaker is open: the processor was not called, and will not be before `retryAfterMs`. */
export class PaymentUnavailableError extends Error {
  override name = 'PaymentUnavailableError';
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

export interface SimulationKnobs {
  /** Probability of a transient failure of any call (PAYMENT_FAILURE_RATE). */
  failureRate: number;
  /** Added to every call (PAYMENT_LATENCY_MS). */
  latencyMs: number;
  /** How long tok_slow takes. */
  slowMs?: number;
  /** How many times tok_flaky fails for one idempotency key before it succeeds. */
  flakyFailures?: number;
  /**
   * While a file exists at this path every call fails (PAYMENT_GATEWAY_DOWN_FILE): an outage that
   * experiments and tests start and end from outside the worker, without restarting it.
   */
  downFile?: string | undefined;
  random?: () => number;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export function createSimulatedGateway(knobs: SimulationKnobs): PaymentGateway {
  const random = knobs.random ?? Math.random;
  const flakyAttempts = new Map<string, number>();
  let sequence = 0;
  const reference = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${(++sequence).toString(36)}`;

  async function common(): Promise<void> {
    if (knobs.latencyMs > 0) await delay(knobs.latencyMs);
    if (knobs.downFile !== undefined && (await exists(knobs.downFile))) throw new GatewayUnavailableError(`Simulated gateway down (${knobs.downFile} exists)`);
    if (knobs.failureRate > 0 && random() < knobs.failureRate) throw new GatewayUnavailableError('Simulated gateway outage');
  }

  return {
    async charge(request) {
      await common();
      switch (request.paymentToken) {
        case 'tok_declined':
          throw new CardDeclinedError('The card was declined');
        case 'tok_flaky': {
          const attempts = (flakyAttempts.get(request.idempotencyKey) ?? 0) + 1;
          flakyAttempts.set(request.idempotencyKey, attempts);
          if (attempts <= (knobs.flakyFailures ?? 2)) throw new GatewayUnavailableError(`Simulated transient failure ${attempts}`);
          flakyAttempts.delete(request.idempotencyKey);
          break;
        }
        case 'tok_slow':
          await delay(knobs.slowMs ?? 2000);
          break;
        case 'tok_visa':
          break;
        default:
          // Never echo the token: the message travels into the workflow's history and the ledger.
          throw new CardDeclinedError('Unknown payment token');
      }
      return { reference: reference('ch') };
    },
    async refund() {
      await common();
      return { reference: reference('re') };
    },
  };
}
