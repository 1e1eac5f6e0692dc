/**
 * Route 53 on the sandbox's edge: one public hosted zone with the chat's latency records, health checks
 * with real checkers, and TestDNSAnswer answering as latency routing would. The API is in ./api.ts (with
 * ./records-api.ts and ./health-checks-api.ts), the state in ./store.ts, the routing in ./latency-routing.ts.
 */
import { names } from '../../../core/names.js';
import type { EdgeRequest, EdgeResponse, RegionRuntimeInfo } from '../../contracts.js';
import { normalizeName, SANDBOX_DNS_TTL_SECONDS } from '../../dns-name.js';
import { answer } from '../../wire/rest-xml.js';
import type { CANARY } from '../canary/definition.js';
import type { CLOUDWATCH } from '../cloudwatch/definition.js';
import type { ServiceFactory } from '../definition.js';
import type { SandboxService, ServiceStateFields } from '../service.js';
import { route } from './api.js';
import { resolveRecord } from './resolve.js';
import { Route53Store, type Route53StoreOptions } from './store.js';
import { ROUTE53_XMLNS } from './xml.js';

export { ROUTE53_XMLNS } from './xml.js';

export class Route53Service implements SandboxService {
  readonly name = 'route53';
  readonly store: Route53Store;

  constructor(options: Route53StoreOptions) {
    this.store = new Route53Store(options);
  }

  get hostedZoneId(): string {
    return this.store.hostedZoneId;
  }

  handle = (request: EdgeRequest): Promise<EdgeResponse> =>
    answer(ROUTE53_XMLNS, () => route(this.store, request));

  addRegion(region: RegionRuntimeInfo): void {
    this.store.addRegion(region);
  }

  removeRegion(key: string): void {
    this.store.removeRegion(key);
  }

  /** A region's health check as Route 53 routes on it, with its last probe (undefined: no check). */
  regionHealth(key: string): RegionHealth | undefined {
    const id = this.store.regionHealthCheckId(key);
    const check = id ? this.store.healthChecks.get(id) : undefined;
    if (!check) return undefined;
    const probe = check.checker.lastProbe;
    return {
      healthCheckId: check.id,
      healthy: check.checker.healthy,
      ...(probe ? { lastProbe: { ok: probe.ok, detail: probe.detail, at: probe.at.toISOString() } } : {}),
    };
  }

  /** The region key latency DNS answers chat.<domain> with for a client in this subnet (as TestDNSAnswer). */
  answerFor(subnet: string): string | undefined {
    const chat = normalizeName(names.chatRecord(this.store.topology));
    return resolveRecord(this.store, chat, 'A', subnet.split('/')[0]).answers[0]?.setIdentifier;
  }

  stateFields(): ServiceStateFields {
    return { hostedZoneId: this.store.hostedZoneId };
  }

  stop(): Promise<void> {
    return this.store.stop();
  }
}

export interface RegionHealth {
  readonly healthCheckId: string;
  readonly healthy: boolean;
  readonly lastProbe?: { readonly ok: boolean; readonly detail: string; readonly at: string };
}

/** Route 53's probing in the sandbox (short, so a drill takes seconds), and its records' TTL. */
export interface Route53Options {
  /** Default: the topology's sandbox.healthCheckIntervalSeconds. */
  readonly healthCheckIntervalMs?: number;
  /** Default: the topology's sandbox.failureThreshold. */
  readonly failureThreshold?: number;
  /**
   * The TTL of the hosted zone's records the sandbox creates (default SANDBOX_DNS_TTL_SECONDS). A drill's moving
   * client honours it, so the sandbox keeps it short: a failover drill takes seconds, not an alias record's 60 s.
   */
  readonly dnsTtlSeconds?: number;
}

/** Its checks follow CloudWatch's alarms; with the canary running, its judgement alarms too. */
export type Route53Needs = { monitoring: typeof CLOUDWATCH; canary: typeof CANARY };

export const createService: ServiceFactory<Route53Service, Route53Needs, Route53Options> = (
  context,
  { monitoring, canary },
  options,
) => {
  const { sandbox } = context.topology();
  return new Route53Service({
    topology: () => context.topology(),
    healthCheckIntervalMs: options.healthCheckIntervalMs ?? sandbox.healthCheckIntervalSeconds * 1000,
    failureThreshold: options.failureThreshold ?? sandbox.failureThreshold,
    dnsTtlSeconds: options.dnsTtlSeconds ?? SANDBOX_DNS_TTL_SECONDS,
    canary: canary !== undefined,
    alarmState: (region, name) => monitoring?.alarmState(region, name),
  });
};
