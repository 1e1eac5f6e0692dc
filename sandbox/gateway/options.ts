/** What a region's gateway is started with (./server.ts); the connections' context carries it too. */
import type { AccessPolicy } from '../access.js';
import type { HostedChatApp } from '../runtime-host.js';
import type { ThrottleLimits } from './stage-throttle.js';

export interface GatewayOptions {
  readonly regionKey: string;
  /** The stage throttles (default: core/routing-health.ts's). */
  readonly throttles?: { readonly stage: ThrottleLimits; readonly health: ThrottleLimits };
  readonly awsRegion: string;
  readonly account: string;
  readonly port?: number;
  /** The address it listens on (default 127.0.0.1). */
  readonly host?: string;
  readonly stage?: string;
  readonly idleTimeoutMs?: number;
  readonly maxConnectionMs?: number;
  readonly frameBytes?: number;
  /** The region's handlers (swapped when the region set changes, e.g. new relay targets). */
  app(): HostedChatApp;
  /** True while the region has a gateway-down fault. */
  isDown(): boolean;
  /** Extra delay (latency fault) in ms. */
  delayMs(): number;
  /** Browser origins and SigV4 for @connections (../access.ts); default: any well-formed signature, no browser. */
  access?(): AccessPolicy;
  readonly onError?: (error: Error, where: string) => void;
  /**
   * The custom domain names this gateway holds (./host.ts): the region's own and the global chat.<domain>; a
   * request for any other Host answers 403. Absent: every Host is served.
   */
  readonly domainNames?: readonly string[];
}
