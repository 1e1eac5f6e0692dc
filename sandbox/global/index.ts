/**
 * The sandbox's global services: Route 53 (hosted zone, latency records, health checks with real
 * checkers, TestDNSAnswer), CloudFront (the China proxy's distribution) and the China proxy itself.
 * sandbox/index.ts starts them and routes edge requests signed for route53 / cloudfront here.
 */
import type {
  EdgeServiceHandler,
  GlobalServices,
  GlobalServicesOptions,
  RegionRuntimeInfo,
} from '../contracts.js';
import { Route53Service } from './route53.js';

export { Route53Service } from './route53.js';

export async function startGlobalServices(options: GlobalServicesOptions): Promise<GlobalServices> {
  const route53 = new Route53Service({
    topology: options.topology,
    healthCheckIntervalMs: options.healthCheckIntervalMs,
    failureThreshold: options.failureThreshold,
  });
  for (const region of options.regions) route53.addRegion(region);
  const services: Record<string, EdgeServiceHandler> = { route53: route53.handle };
  return {
    services,
    hostedZoneId: route53.hostedZoneId,
    async addRegion(region: RegionRuntimeInfo) {
      route53.addRegion(region);
    },
    async removeRegion(key: string) {
      route53.removeRegion(key);
    },
    async stop() {
      await route53.stop();
    },
  };
}
