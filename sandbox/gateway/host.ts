/**
 * API Gateway routes a request by its Host to the custom domain that holds that name. Each sandbox gateway holds
 * its region's own names and the global chat.<domain> (every region does, for latency routing); any other name
 * answers 403, as API Gateway does. Loopback names are served at the gateway's own port only (the sandbox's
 * own URLs; ../host-check.ts says why the port matters).
 */
import { hostNamesListener } from '../host-check.js';

/** True when a gateway on `port` (bound to `address`) holding `domainNames` answers for `host`. */
export function servesHost(
  domainNames: readonly string[] | undefined,
  host: string | undefined,
  port: number,
  address?: string,
): boolean {
  return hostNamesListener(host, { port, ...(address ? { address } : {}), domainNames: domainNames ?? [] });
}
