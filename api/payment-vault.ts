import { randomUUID } from 'node:crypto';
import type { Database } from '../db/client.js';
import { paymentTokens } from '../db/schema/payments.js';
import { vaultReference } from '../lib/payment-tokens.js';

/**
 * The API's side of the token vault (lib/payment-tokens.ts): it may deposit a token, never read
 * one back (its role has INSERT only on payments.payment_tokens). A random reference per deposit:
 * a reference derived from the reservation would let a second request's token stand in for the
 * first's. Deposits of a retried request that never reach a charge stay until the reservation is
 * charged (the charge removes every deposit of its reservation).
 */
export function createPaymentVault(payments: Database) {
  return {
    async deposit(reservationId: string, token: string): Promise<string> {
      const reference = randomUUID();
      await payments.insert(paymentTokens).values({ reference, reservationId, token });
      return vaultReference(reference);
    },
  };
}

export type PaymentVault = ReturnType<typeof createPaymentVault>;
