import type postgres from 'postgres';
import { CardDeclinedError, PaymentUnavailableError, type PaymentGateway } from '../payment-gateway.js';
import { declined, paymentUnavailable, type ChargeInput } from '../payments.js';
import { redeemPaymentToken } from '../payment-vault.js';

/**
 * The payments store as a two-phase-commit participant (coordinator.ts). The card
 * network is no participant: what the gateway accepted here stands for an authorization that
 * the decision would capture or void. The simulated gateway holds no money, so an aborted
 * transaction leaves nothing to give back; a real integration would void the authorization.
 */
export function createChargeParticipant(sql: postgres.Sql, gateway: PaymentGateway) {
  return {
    /** Charges the card and records it in a transaction prepared as `gid`; a declined card prepares nothing. */
    async prepare(input: ChargeInput, gid: string): Promise<{ reference: string }> {
      try {
        return await sql.begin(async (tx) => {
          await tx`SELECT pg_advisory_xact_lock(hashtextextended(${input.idempotencyKey}, 0))`;
          const paymentToken = await redeemPaymentToken(tx, input.reservationId, input.paymentToken);
          const { reference } = await gateway.charge({ ...input, paymentToken });
          await tx`
            INSERT INTO payments.charges (idempotency_key, reservation_id, amount_cents, currency, status, gateway_reference)
            VALUES (${input.idempotencyKey}, ${input.reservationId}, ${input.amountCents}, ${input.currency}, 'captured', ${reference})`;
          await tx.prepare(gid);
          return { reference };
        });
      } catch (error) {
        if (error instanceof CardDeclinedError) throw declined(error.message);
        if (error instanceof PaymentUnavailableError) throw paymentUnavailable(error);
        throw error;
      }
    },
  };
}

export type ChargeParticipant = ReturnType<typeof createChargeParticipant>;
