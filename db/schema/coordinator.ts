import { index, integer, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The two-phase-commit coordinator's durable decision log. A transaction's outcome is the first
 * decision row written for it: the coordinator writes "commit" after every participant prepared,
 * recovery writes "abort" for one it finds in doubt, and whichever insert lands first wins.
 */
export const coordinator = pgSchema('coordinator');

export const decisionOutcomes = ['commit', 'abort'] as const;
export type DecisionOutcome = (typeof decisionOutcomes)[number];
export const decisionOutcome = coordinator.enum('decision_outcome', decisionOutcomes);

export const decisions = coordinator.table(
  'decisions',
  {
    /** boxoffice:<reservation id>:<attempt>; each participant prepares it with its name appended. */
    transactionId: text('transaction_id').primaryKey(),
    reservationId: uuid('reservation_id').notNull(),
    outcome: decisionOutcome('outcome').notNull(),
    /** `coordinator`, or `recovery` when an in-doubt transaction was resolved after a crash. */
    decidedBy: text('decided_by').notNull(),
    decidedAt: timestamp('decided_at', { withTimezone: true }).notNull().defaultNow(),
    /** Every participant committed or rolled back: nothing of it is left in pg_prepared_xacts. */
    completedAt: timestamp('completed_at', { withTimezone: true }),
    /** From the seat rows' lock to the booking participant's COMMIT/ROLLBACK PREPARED. */
    lockHeldMs: integer('lock_held_ms'),
  },
  (t) => [index('decisions_reservation_idx').on(t.reservationId)],
);
