import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import { CardDeclinedError, PaymentUnavailableError, type PaymentGateway } from './payment-gateway.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerSettings {
  /** Gateway failures in a row that open the circuit (PAYMENT_BREAKER_THRESHOLD). */
  threshold: number;
  /** How long it stays open before one trial charge is let through (PAYMENT_BREAKER_HALF_OPEN_MS). */
  halfOpenAfterMs: number;
  onStateChange?: (state: BreakerState, lastError: unknown) => void;
}

export interface GuardedGateway extends PaymentGateway {
  readonly breakerState: BreakerState;
}

const stateNames: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  // Held open by hand (policy.isolate()): the same as open to a caller.
  [CircuitState.Isolated]: 'open',
};

/**
 * The gateway behind a circuit breaker, one per worker process. Consecutive failures rather than a
 * failure ratio over a window: an outage is "nothing gets through", which any success disproves,
 * and it is seen at any traffic — a ratio needs a minimum rate to mean anything (a lone saga's
 * retries come 0.5, 1, 2, 4 s apart) and is noisy on the few calls at the start of an on-sale.
 * Below the threshold a failure passes through as it is, so Temporal retries it as before; only an
 * open circuit turns a charge into a PaymentUnavailableError without calling the gateway.
 */
export function withCircuitBreaker(gateway: PaymentGateway, settings: BreakerSettings): GuardedGateway {
  const policy = circuitBreaker(handleAll, { halfOpenAfter: settings.halfOpenAfterMs, breaker: new ConsecutiveBreaker(settings.threshold) });
  let openedAt = 0;
  policy.onBreak(() => {
    openedAt = Date.now();
  });
  policy.onStateChange((state) => settings.onStateChange?.(stateNames[state], policy.lastFailure && 'error' in policy.lastFailure ? policy.lastFailure.error : undefined));

  return {
    get breakerState() {
      return stateNames[policy.state];
    },
    async charge(request) {
      // A decline is an answer from a gateway that works: it goes through the breaker as a result,
      // which counts as a success (resets the count, closes a half-open circuit), and is thrown after.
      const outcome = await guarded(() =>
        gateway.charge(request).catch((error: unknown) => {
          if (error instanceof CardDeclinedError) return { declined: error };
          throw error;
        }),
      );
      if ('declined' in outcome) throw outcome.declined;
      return outcome;
    },
    // Refunds are compensations, retried by Temporal without limit and with no customer waiting:
    // failing them fast would gain nothing, and keeping them out of the count keeps it about charges.
    refund: (request) => gateway.refund(request),
  };

  async function guarded<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await policy.execute(call);
    } catch (error) {
      if (!(error instanceof BrokenCircuitError)) throw error;
      const retryAfterMs = Math.max(0, openedAt + settings.halfOpenAfterMs - Date.now());
      throw new PaymentUnavailableError(`The payment gateway is failing; charges are paused for ${Math.ceil(retryAfterMs / 1000)} s`, retryAfterMs);
    }
  }
}
