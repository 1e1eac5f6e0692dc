/**
 * The sandbox's ports, predictable from the edge port alone: the edge, then each region of the topology in
 * order, then the China proxy, then DNS (a region added later takes the next port after those). An edge port
 * of 0 gives every listener any free port (tests). A port that is taken is an error naming it and the flag
 * that moves it, never a silent move to another port.
 */
import { UserError } from '../core/errors.js';

export interface PortPlan {
  readonly edge: number;
  region(index: number): number;
  readonly china: number;
  readonly dns: number;
}

export function planPorts(edge: number, regionCount: number): PortPlan {
  const at = (slot: number) => (edge === 0 ? 0 : edge + slot);
  return {
    edge,
    region: (index) => at(index < regionCount ? 1 + index : 3 + index),
    china: at(1 + regionCount),
    dns: at(2 + regionCount),
  };
}

/** Listens through `listen` on `port`; EADDRINUSE becomes a UserError naming the port and what needed it. */
export async function listenOrExplain<T>(port: number, what: string, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new UserError(`port ${port} is already in use, so ${what} cannot listen there`, {
        hint: 'move every sandbox port with --port N (the edge; the regions, the China proxy and DNS take the ports after it), or stop what uses it',
      });
    }
    if (code === 'EADDRNOTAVAIL') {
      throw new UserError(`${what} cannot listen on this address (${(error as Error).message})`, {
        hint: 'give --host an address of this machine, or leave it out (127.0.0.1)',
      });
    }
    throw error;
  }
}

/** True for an address that only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
