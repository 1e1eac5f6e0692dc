/**
 * The sandbox's global services: Route 53 (hosted zone, latency records, health checks with real
 * checkers, TestDNSAnswer), CloudFront (the China proxy's distribution) and the China proxy itself.
 * sandbox/index.ts starts them and routes edge requests signed for route53 / cloudfront here.
 */
import { names, WEBSOCKET_STAGE } from '../../core/names.js';
import type {
  EdgeServiceHandler,
  GlobalServices,
  GlobalServicesOptions,
  RegionRuntimeInfo,
} from '../contracts.js';
import { ChinaProxy } from './china-proxy.js';
import { CloudFrontService } from './cloudfront.js';
import { Route53Service } from './route53.js';

export { ChinaProxy } from './china-proxy.js';
export { CloudFrontService } from './cloudfront.js';
export { regionLatencyMs } from './latency.js';
export { Route53Service } from './route53.js';

/** What startGlobalServices returns, plus a few extras for the sandbox's own status and tests. */
export interface SandboxGlobalServices extends GlobalServices {
  /** The status Route 53 routes on for a region's health check (undefined for an unknown region). */
  regionHealthy(key: string): boolean | undefined;
  /** The region key the China proxy currently forwards to (undefined when its origin runs nowhere here). */
  chinaOrigin(): string | undefined;
}

export async function startGlobalServices(options: GlobalServicesOptions): Promise<SandboxGlobalServices> {
  const { topology } = options;
  const regions = new Map<string, RegionRuntimeInfo>();
  const route53 = new Route53Service({
    topology,
    healthCheckIntervalMs: options.healthCheckIntervalMs,
    failureThreshold: options.failureThreshold,
  });
  for (const region of options.regions) {
    regions.set(region.key, region);
    route53.addRegion(region);
  }
  const services: Record<string, EdgeServiceHandler> = { route53: route53.handle };

  let cloudfront: CloudFrontService | undefined;
  let proxy: ChinaProxy | undefined;
  let china: GlobalServices['china'];
  const originRegion = (): string | undefined => {
    const domain = cloudfront?.originDomain();
    if (!domain) return undefined;
    return [...regions.keys()].find((key) => names.regionalDomain(topology, key).toLowerCase() === domain);
  };
  if (topology.china.enabled) {
    cloudfront = new CloudFrontService({
      topology,
      account: options.account,
      originRegion: topology.china.originRegion,
    });
    services.cloudfront = cloudfront.handle;
    proxy = new ChinaProxy({
      resolveOrigin: () => {
        const key = originRegion();
        const region = key ? regions.get(key) : undefined;
        if (!key || !region) return undefined;
        return {
          domainName: names.regionalDomain(topology, key),
          host: '127.0.0.1',
          port: region.gatewayPort,
        };
      },
    });
    try {
      const port = await proxy.start();
      china = { url: `ws://127.0.0.1:${port}/${WEBSOCKET_STAGE}`, distributionId: cloudfront.distributionId };
    } catch (error) {
      await route53.stop();
      throw error;
    }
  }

  return {
    services,
    hostedZoneId: route53.hostedZoneId,
    china,
    regionHealthy: (key) => route53.regionHealthy(key),
    chinaOrigin: originRegion,
    async addRegion(region: RegionRuntimeInfo) {
      regions.set(region.key, region);
      route53.addRegion(region);
    },
    async removeRegion(key: string) {
      regions.delete(key);
      route53.removeRegion(key);
    },
    async stop() {
      await Promise.all([route53.stop(), proxy?.stop()]);
    },
  };
}
