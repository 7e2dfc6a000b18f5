/** The three stores that take part in every two-phase transaction, in the order phase 2 finishes them. */
export type Participant = 'booking' | 'payments' | 'ticketing';
export const participants: readonly Participant[] = ['booking', 'payments', 'ticketing'];

/** A transaction's id: one per reservation and attempt, so a retried attempt never reuses one. */
export const transactionIdOf = (reservationId: string, attempt: number): string => `boxoffice:${reservationId}:${attempt}`;
/**
 * The participant's prepared transaction, as pg_prepared_xacts names it: it also names the
 * coordinator that prepared it, so recovery can tell an in-doubt transaction from a slow one.
 */
export const preparedIdOf = (transactionId: string, coordinatorId: string, participant: Participant): string => `${transactionId}:${coordinatorId}:${participant}`;
const PREPARED_PATTERN = /^(boxoffice:([0-9a-f-]{36}):\d+):([0-9a-f-]{36}):(booking|payments|ticketing)$/;

export interface PreparedId {
  transactionId: string;
  reservationId: string;
  coordinatorId: string;
  participant: Participant;
}

/** The parts of a prepared transaction's gid, or undefined if it is not one of ours. */
export function parsePreparedId(gid: string): PreparedId | undefined {
  const match = PREPARED_PATTERN.exec(gid);
  if (!match?.[1] || !match[2] || !match[3] || !match[4]) return undefined;
  return { transactionId: match[1], reservationId: match[2], coordinatorId: match[3], participant: match[4] as Participant };
}
