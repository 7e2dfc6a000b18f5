/**
 * Card tokens never enter Temporal: the API deposits a token in the payments store's vault
 * (payments.payment_tokens) and the workflow carries `vault:<reference>` in its place, so neither
 * the history nor the Web UI ever shows a token. The payment activities redeem the reference.
 */
const VAULT_PREFIX = 'vault:';

export const vaultReference = (reference: string): string => `${VAULT_PREFIX}${reference}`;

/** The vault row's reference, or undefined for a literal token (histories recorded before the vault). */
export function vaultReferenceOf(paymentToken: string): string | undefined {
  return paymentToken.startsWith(VAULT_PREFIX) ? paymentToken.slice(VAULT_PREFIX.length) : undefined;
}
