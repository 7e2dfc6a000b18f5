import { sql } from 'drizzle-orm';
import { check, index, integer, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Charges and refunds through the payment gateway: written only by the payment activities. */
export const payments = pgSchema('payments');

export const chargeStatuses = ['captured', 'declined'] as const;
export const chargeStatus = payments.enum('charge_status', chargeStatuses);

export const charges = payments.table(
  'charges',
  {
    /** Derived from the workflow id, so a retried activity finds the charge it already made. */
    idempotencyKey: text('idempotency_key').primaryKey(),
    reservationId: uuid('reservation_id').notNull(),
    amountCents: integer('amount_cents').notNull(),
    currency: text('currency').notNull(),
    status: chargeStatus('status').notNull(),
    gatewayReference: text('gateway_reference').notNull(),
    declineReason: text('decline_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('charges_reservation_idx').on(t.reservationId), check('charges_amount_positive', sql`${t.amountCents} >= 0`)],
);

export const refunds = payments.table(
  'refunds',
  {
    idempotencyKey: text('idempotency_key').primaryKey(),
    /** One refund per charge: a charge is refunded whole or not at all. */
    chargeKey: text('charge_key')
      .notNull()
      .unique()
      .references(() => charges.idempotencyKey),
    reservationId: uuid('reservation_id').notNull(),
    amountCents: integer('amount_cents').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('refunds_reservation_idx').on(t.reservationId)],
);

/**
 * Card tokens waiting to be charged, kept out of Temporal's history: the API deposits the token
 * here and the workflow carries only the reference (`vault:<reference>`). The API may only insert;
 * the payments role reads a token when it charges and deletes it in the same transaction.
 */
export const paymentTokens = payments.table('payment_tokens', {
  reference: uuid('reference').primaryKey(),
  reservationId: uuid('reservation_id').notNull(),
  token: text('token').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
