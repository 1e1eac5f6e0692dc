/** DNS names as Route 53 returns them (and as the sandbox's services compare them). */

/** Lowercase with one trailing dot, as Route 53 returns names. */
export function normalizeName(name: string): string {
  const trimmed = name.trim().toLowerCase();
  return trimmed.endsWith('.') ? trimmed : `${trimmed}.`;
}

/** Lowercase without the trailing dot, as a host name or CloudFront origin domain is written. */
export function hostName(name: string): string {
  return normalizeName(name).replace(/\.$/, '');
}
