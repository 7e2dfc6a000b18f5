import { ApplicationFailure } from '@temporalio/common';
import type postgres from 'postgres';
import { Failure } from '../lib/failures.js';
import { vaultReferenceOf } from '../lib/payment-tokens.js';

/**
 * The card token a charge uses: redeemed from the vault when the workflow carries a reference,
 * and the reservation's deposits removed in the same transaction (rolled back with it when the
 * charge does not commit, so a retry can redeem again). A literal token (a workflow started
 * before the vault) is used as it is.
 */
export async function redeemPaymentToken(tx: postgres.TransactionSql, reservationId: string, paymentToken: string): Promise<string> {
  const reference = vaultReferenceOf(paymentToken);
  if (reference === undefined) return paymentToken;
  // One statement: every deposit of the reservation goes, and the one asked for is read on its way
  // out (a failure below rolls the delete back with the transaction).
  const removed = await tx<{ reference: string; token: string }[]>`DELETE FROM payments.payment_tokens WHERE reservation_id = ${reservationId} RETURNING reference::text, token`;
  const deposit = removed.find((row) => row.reference === reference);
  if (!deposit) throw ApplicationFailure.create({ type: Failure.PaymentDeclined, message: 'The payment token is no longer on file; pay again', nonRetryable: true });
  return deposit.token;
}
