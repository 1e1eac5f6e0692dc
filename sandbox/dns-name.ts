/** DNS names as Route 53 returns them (and as the sandbox's services compare them), and the sandbox's TTL. */

/**
 * The TTL of the sandbox's records: a few seconds, so a client honouring it moves within seconds of a drain (on
 * AWS an alias record answers with its target's 60 s).
 */
export const SANDBOX_DNS_TTL_SECONDS = 5;

/** Lowercase with one trailing dot, as Route 53 returns names. */
export function normalizeName(name: string): string {
  const trimmed = name.trim().toLowerCase();
  return trimmed.endsWith('.') ? trimmed : `${trimmed}.`;
}

/** Lowercase without the trailing dot, as a host name or CloudFront origin domain is written. */
export function hostName(name: string): string {
  return normalizeName(name).replace(/\.$/, '');
}
