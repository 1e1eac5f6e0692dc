/**
 * API Gateway routes a request by its Host to the custom domain that holds that name. Each sandbox gateway holds
 * its region's own names and the global chat.<domain> (every region does, for latency routing); any other name
 * answers 403, as API Gateway does. Loopback hosts are always served (the sandbox's own URLs).
 */
const LOOPBACK = new Set(['', '127.0.0.1', 'localhost', '[::1]']);

/** Host without its port, lower-case. */
export function hostName(host: string | undefined): string {
  const value = (host ?? '').toLowerCase();
  if (value.startsWith('[')) return value.slice(0, value.indexOf(']') + 1);
  return value.replace(/:\d+$/, '');
}

/** True when a gateway holding `domainNames` answers for `host` (undefined `domainNames`: every host). */
export function servesHost(domainNames: readonly string[] | undefined, host: string | undefined): boolean {
  if (!domainNames) return true;
  const name = hostName(host);
  return LOOPBACK.has(name) || domainNames.some((d) => d.toLowerCase() === name);
}
