import { ApplicationFailure } from '@temporalio/common';
import type postgres from 'postgres';
import { Failure } from '../lib/failures.js';
import { CardDeclinedError, PaymentUnavailableError, type PaymentGateway } from './payment-gateway.js';
import { redeemPaymentToken } from './payment-vault.js';

export interface ChargeInput {
  reservationId: string;
  /** chargeKeyOf(reservationId): a retried activity finds the charge it already made. */
  idempotencyKey: string;
  amountCents: number;
  currency: string;
  /** A vault reference (lib/payment-tokens.ts), or a literal token in workflows started before the vault. */
  paymentToken: string;
}

/** Payment activities: the payments schema only, through the payments role. */
export function createPaymentActivities(sql: postgres.Sql, gateway: PaymentGateway) {
  return {
    /**
     * Charges the customer once per idempotency key. The gateway call and the record share one
     * transaction holding the key's lock, so a crash before the commit leaves no charge behind and
     * the retry charges again; a crash after it finds the charge already made.
     */
    async chargePayment(input: ChargeInput): Promise<{ reference: string; amountCents: number }> {
      type Outcome = { reference: string; amountCents: number } | { declined: string };
      return sql.begin(async (tx): Promise<Outcome> => {
        await tx`SELECT pg_advisory_xact_lock(hashtextextended(${input.idempotencyKey}, 0))`;
        const [existing] = await tx<{ status: string; gateway_reference: string; amount_cents: number; decline_reason: string | null }[]>`
          SELECT status, gateway_reference, amount_cents, decline_reason FROM payments.charges WHERE idempotency_key = ${input.idempotencyKey}`;
        if (existing?.status === 'captured') return { reference: existing.gateway_reference, amountCents: existing.amount_cents };
        if (existing?.status === 'declined') throw declined(existing.decline_reason ?? 'The card was declined');
        const paymentToken = await redeemPaymentToken(tx, input.reservationId, input.paymentToken);
        try {
          const { reference } = await gateway.charge({ ...input, paymentToken });
          await tx`
            INSERT INTO payments.charges (idempotency_key, reservation_id, amount_cents, currency, status, gateway_reference)
            VALUES (${input.idempotencyKey}, ${input.reservationId}, ${input.amountCents}, ${input.currency}, 'captured', ${reference})`;
          return { reference, amountCents: input.amountCents };
        } catch (error) {
          // The breaker is open: nothing was charged and nothing is recorded (the transaction rolls
          // back), and the saga ends at once instead of retrying against a gateway that is down.
          if (error instanceof PaymentUnavailableError) throw paymentUnavailable(error);
          if (!(error instanceof CardDeclinedError)) throw error;
          await tx`
            INSERT INTO payments.charges (idempotency_key, reservation_id, amount_cents, currency, status, gateway_reference, decline_reason)
            VALUES (${input.idempotencyKey}, ${input.reservationId}, ${input.amountCents}, ${input.currency}, 'declined', '', ${error.message})`;
          return { declined: error.message };
        }
      }).then((result: Outcome) => {
        // Thrown outside the transaction so the declined record commits.
        if ('declined' in result) throw declined(result.declined);
        return result;
      });
    },

    /**
     * Compensation of chargePayment: refunds the captured charge whole, once. Safe when nothing was
     * charged (returns 0). Returns the amount refunded, now or earlier.
     */
    async refundPayment(input: { reservationId: string; chargeKey: string }): Promise<number> {
      return sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(hashtextextended(${input.chargeKey}, 0))`;
        const [charge] = await tx<{ amount_cents: number; gateway_reference: string }[]>`
          SELECT amount_cents, gateway_reference FROM payments.charges WHERE idempotency_key = ${input.chargeKey} AND status = 'captured'`;
        if (!charge) return 0;
        const [refunded] = await tx<{ amount_cents: number }[]>`SELECT amount_cents FROM payments.refunds WHERE charge_key = ${input.chargeKey}`;
        if (refunded) return refunded.amount_cents;
        const refundKey = `${input.chargeKey}:refund`;
        await gateway.refund({ idempotencyKey: refundKey, chargeReference: charge.gateway_reference, amountCents: charge.amount_cents });
        await tx`
          INSERT INTO payments.refunds (idempotency_key, charge_key, reservation_id, amount_cents)
          VALUES (${refundKey}, ${input.chargeKey}, ${input.reservationId}, ${charge.amount_cents})`;
        return charge.amount_cents;
      });
    },
  };
}

/** The failure a declined card ends a booking with, saga and two-phase commit alike. */
export function declined(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: Failure.PaymentDeclined, message, nonRetryable: true });
}

/** The failure a charge ends a booking with while the gateway's circuit breaker is open. */
export function paymentUnavailable(error: PaymentUnavailableError): ApplicationFailure {
  return ApplicationFailure.create({ type: Failure.PaymentUnavailable, message: error.message, nonRetryable: true, details: [{ retryAfterMs: error.retryAfterMs }] });
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;
