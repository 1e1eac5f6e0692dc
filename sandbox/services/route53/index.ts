/**
 * Route 53 on the sandbox's edge: one public hosted zone with the chat's latency records, health checks
 * with real checkers, and TestDNSAnswer answering as latency routing would. The API is in ./api.ts (with
 * ./records-api.ts and ./health-checks-api.ts), the state in ./store.ts, the routing in ./latency-routing.ts.
 */
import type { EdgeRequest, EdgeResponse, RegionRuntimeInfo } from '../../contracts.js';
import { answer } from '../../wire/xml-api.js';
import type { SandboxService, ServiceFactory, ServiceStateFields } from '../service.js';
import { route } from './api.js';
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

  stateFields(): ServiceStateFields {
    return { hostedZoneId: this.store.hostedZoneId };
  }

  stop(): Promise<void> {
    return this.store.stop();
  }
}

export const createService: ServiceFactory = (context) =>
  new Route53Service({
    topology: () => context.topology(),
    healthCheckIntervalMs: context.healthCheckIntervalMs,
    failureThreshold: context.failureThreshold,
  });
