/**
 * What the safety rules judge: every region's routing state as Route 53 has it, and the China proxy as
 * CloudFront has it (not as chatctl.json says they should be).
 */
import type { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import type { HealthCheck, Route53Client } from '@aws-sdk/client-route-53';
import { findRegion } from '../../../core/topology.js';
import { cloudfrontClient, route53Client, withClient } from '../aws/clients.js';
import { findChinaDistribution, type OriginsShape, originsOf } from '../aws/cloudfront.js';
import { checkHealthy, readRoute53View } from '../aws/route53.js';
import type { Target } from '../target.js';
import {
  type ChinaOriginState,
  checkDrainSafety,
  type RegionRoutingState,
  type SafetyVerdict,
} from './safety.js';

export interface RegionRouting extends RegionRoutingState {
  readonly healthCheckId?: string;
}

/** One region's routing state from its health check and what Route 53's checkers say of it. */
export function routingStateOf(key: string, check: HealthCheck | undefined, healthy: boolean): RegionRouting {
  if (!check?.Id) return { key, healthy: false, inverted: false };
  return {
    key,
    healthCheckId: check.Id,
    healthy,
    inverted: check.HealthCheckConfig?.Inverted === true,
    disabled: check.HealthCheckConfig?.Disabled === true,
  };
}

/** Every region's routing state, read in parallel. A region without a health check is reported unhealthy. */
export async function readRoutingStates(target: Target, client: Route53Client): Promise<RegionRouting[]> {
  const { checks, all } = await readRoute53View(target, client);
  return Promise.all(
    target.topology.regions.map(async (region) => {
      const check = checks.get(region.key);
      const healthy = check?.Id ? await checkHealthy(client, check, all) : false;
      return routingStateOf(region.key, check, healthy);
    }),
  );
}

/** The China proxy as deployed, for the safety rules. Falls back to chatctl.json when none is deployed. */
export async function chinaOriginState(target: Target, client: CloudFrontClient): Promise<ChinaOriginState> {
  const { china } = target.topology;
  if (!china.enabled) return { enabled: false, followsDns: false, failoverOrigins: [] };
  const found = await findChinaDistribution(target, client);
  if (!found) {
    return {
      enabled: true,
      origin: china.originRegion,
      followsDns: !china.originRegion,
      failoverOrigins: [],
    };
  }
  const origins = originsOf(target.topology, found as OriginsShape);
  return {
    enabled: true,
    origin: origins.origin,
    followsDns: origins.followsDns,
    failoverOrigins: origins.failover,
  };
}

/** Reads Route 53 and CloudFront and applies the safety rules for draining `key`. */
export async function drainSafety(
  target: Target,
  key: string,
  options: { client?: Route53Client; moveChinaOrigin?: boolean; command?: 'drain' | 'drill' } = {},
): Promise<SafetyVerdict> {
  findRegion(target.topology, key);
  const routing = options.client
    ? readRoutingStates(target, options.client)
    : withClient(route53Client(target), (client) => readRoutingStates(target, client));
  const [regions, china] = await Promise.all([
    routing,
    withClient(cloudfrontClient(target), (client) => chinaOriginState(target, client)),
  ]);
  return checkDrainSafety({
    topology: target.topology,
    key,
    regions,
    china,
    moveChinaOrigin: options.moveChinaOrigin,
    command: options.command,
  });
}
