/**
 * The DNS-rebinding defence of every listener (the edge with its control API and console, each region's
 * gateway, the China proxy). A web page can point a name it owns (evil.example) at 127.0.0.1 and then send
 * requests to the sandbox's ports as its own origin: no Origin check catches that, but the browser still
 * sends the page's name in Host. So a listener answers only a Host that is a loopback name (localhost,
 * 127.x.y.z, [::1]) or the address it listens on, at its own port, or one of the domain names it serves
 * itself (a gateway's custom domains, which the sandbox's own DNS answers); anything else is refused,
 * whatever the method.
 */

/** Host split into its lower-case name (IPv6 in brackets) and its port (undefined when absent). */
export function splitHost(host: string | undefined): { name: string; port?: number } {
  const value = (host ?? '').trim().toLowerCase();
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]*)(?::(\d{1,5}))?$/.exec(value);
  if (!match) return { name: value };
  return { name: match[1], ...(match[2] !== undefined ? { port: Number(match[2]) } : {}) };
}

const IPV4_LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** True for a loopback name: localhost (and its subdomains, RFC 6761), 127.0.0.0/8, [::1]. */
export function isLoopbackName(name: string): boolean {
  return (
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    IPV4_LOOPBACK.test(name) ||
    name === '[::1]' ||
    name === '[0:0:0:0:0:0:0:1]'
  );
}

export interface ListenerNames {
  /** The port the listener is on (a Host without a port means 80). */
  readonly port: number;
  /** The address it listens on, as given to listen() (a non-loopback address is served too). */
  readonly address?: string;
  /** Domain names it serves at any port (a gateway's custom domains; a proxy in front drops the port). */
  readonly domainNames?: readonly string[];
}

/** True when the request's Host names this listener. */
export function hostNamesListener(host: string | undefined, listener: ListenerNames): boolean {
  const { name, port } = splitHost(host);
  if (name === '') return false;
  if (listener.domainNames?.some((d) => d.toLowerCase() === name)) return true;
  const own = listener.address && !['0.0.0.0', '::'].includes(listener.address);
  const ownName = own
    ? listener.address?.includes(':')
      ? `[${listener.address}]`
      : listener.address
    : undefined;
  if (!isLoopbackName(name) && name !== ownName) return false;
  return (port ?? 80) === listener.port;
}

/** The refusal's message, the same on every listener. */
export function foreignHostMessage(host: string | undefined): string {
  return `Host ${JSON.stringify(host ?? '')} is not this sandbox's (it answers only loopback names at its own port): refused as a DNS-rebinding defence`;
}
