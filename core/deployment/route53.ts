/**
 * The Route 53 part of the deployed system, as plain data: each region's health checks and its records. The
 * stacks build their AWS::Route53 resources from it (stacks/region-stack.ts, stacks/canary.ts) and the
 * sandbox's Route 53 seeds its zone and checks from it (sandbox/services/route53/store.ts);
 * test/stacks/parity.test.ts compares the two through Route 53's API. Why the routing check looks as it does:
 * core/routing-health.ts.
 */
import { names } from '../names.js';
import { canaryJudges, judgementAlarmSlug, routingThreshold } from '../routing-health.js';
import type { Topology } from '../topology.js';

/** What a check that probes an endpoint looks at: the region's /health, by its own HTTPS name. */
export interface EndpointCheckConfig {
  readonly type: 'HTTPS';
  readonly fullyQualifiedDomainName: string;
  readonly resourcePath: string;
  readonly port: number;
  readonly enableSni: boolean;
  readonly requestInterval: number;
  readonly failureThreshold: number;
}

/** A check that follows one CloudWatch alarm; no data is unhealthy (probes that stop reporting drain). */
export interface AlarmCheckConfig {
  readonly type: 'CLOUDWATCH_METRIC';
  readonly alarm: { readonly name: string; readonly region: string };
  readonly insufficientDataHealthStatus: 'Unhealthy';
}

/** A check healthy while at least `healthThreshold` of its children are; children by their references. */
export interface CalculatedCheckConfig {
  readonly type: 'CALCULATED';
  readonly childReferences: readonly string[];
  readonly healthThreshold: number;
}

export interface HealthCheckModel {
  /** Its Name tag on AWS (CloudFormation sets no caller reference) and its CallerReference in the sandbox. */
  readonly reference: string;
  /** `/health` (watched), one judge's alarm, or the check the latency record carries (drain inverts it). */
  readonly role: 'endpoint' | 'judgement' | 'routing';
  /** The judge, for a judgement check. */
  readonly judge?: string;
  readonly config: EndpointCheckConfig | AlarmCheckConfig | CalculatedCheckConfig;
  /** Drain flips it; deployed false. */
  readonly inverted: false;
}

/** The Route 53 target an alias record names on AWS (the sandbox stands an A record at the region's address). */
export type RecordTarget = 'global-domain' | 'regional-domain' | 'health-domain' | 'china-distribution';

export interface RecordModel {
  readonly name: string;
  readonly type: 'A' | 'AAAA';
  readonly target: RecordTarget;
  /** A latency record: its set identifier (the region key), its AWS region and its health check's reference. */
  readonly setIdentifier?: string;
  readonly region?: string;
  readonly healthCheckReference?: string;
}

/**
 * An alias record answers with its target's TTL (60 s for API Gateway's and CloudFront's names); the sandbox's
 * records are plain A records with a TTL of a few seconds (sandbox/options.ts), so a drill takes seconds.
 */
export const ALIAS_TARGET_TTL_SECONDS = 60;

/**
 * A region's health checks, in the order they are made: /health, then with the canary one alarm check per judge
 * (itself first) and the CALCULATED routing check over them. Without the canary (the sandbox's option; the
 * stacks always deploy it) /health is the routing check.
 */
export function regionHealthChecks(
  topology: Topology,
  key: string,
  options: { readonly canary: boolean },
): HealthCheckModel[] {
  const reference = names.healthCheckReference(topology, key);
  const awsRegion = awsRegionOf(topology, key);
  const endpoint: HealthCheckModel = {
    reference: options.canary ? `${reference}-http` : reference,
    role: options.canary ? 'endpoint' : 'routing',
    config: {
      type: 'HTTPS',
      fullyQualifiedDomainName: names.regionalHealthDomain(topology, key),
      resourcePath: '/health',
      port: 443,
      enableSni: true,
      requestInterval: topology.healthCheck.intervalSeconds,
      failureThreshold: topology.healthCheck.failureThreshold,
    },
    inverted: false,
  };
  if (!options.canary) return [endpoint];
  const judgements = canaryJudges(topology, key).map(
    (judge): HealthCheckModel => ({
      reference: `${reference}-${judgementAlarmSlug(key, judge)}`,
      role: 'judgement',
      judge,
      config: {
        type: 'CLOUDWATCH_METRIC',
        alarm: {
          name: `${names.alarmPrefix(topology, key)}${judgementAlarmSlug(key, judge)}`,
          region: awsRegion,
        },
        insufficientDataHealthStatus: 'Unhealthy',
      },
      inverted: false,
    }),
  );
  const routing: HealthCheckModel = {
    reference,
    role: 'routing',
    config: {
      type: 'CALCULATED',
      childReferences: judgements.map((j) => j.reference),
      healthThreshold: routingThreshold(judgements.length),
    },
    inverted: false,
  };
  return [endpoint, ...judgements, routing];
}

/** The check a region's latency record carries. */
export function routingCheckOf(checks: readonly HealthCheckModel[]): HealthCheckModel {
  const routing = checks.find((c) => c.role === 'routing');
  if (!routing) throw new Error('no routing check among the region health checks');
  return routing;
}

/** A region's records: its own two names, and its latency record for chat.<domain> on its routing check. */
export function regionRecords(
  topology: Topology,
  key: string,
  options: { readonly canary: boolean },
): RecordModel[] {
  const routing = routingCheckOf(regionHealthChecks(topology, key, options));
  return [
    { name: names.regionalDomain(topology, key), type: 'A', target: 'regional-domain' },
    { name: names.regionalHealthDomain(topology, key), type: 'A', target: 'health-domain' },
    {
      name: names.chatRecord(topology),
      type: 'A',
      target: 'global-domain',
      setIdentifier: key,
      region: awsRegionOf(topology, key),
      healthCheckReference: routing.reference,
    },
  ];
}

/** The China proxy's name, for IPv4 and IPv6 viewers (CloudFront answers on both). */
export function chinaProxyRecords(topology: Topology): RecordModel[] {
  const name = names.chinaProxyDomain(topology);
  return [
    { name, type: 'A', target: 'china-distribution' },
    { name, type: 'AAAA', target: 'china-distribution' },
  ];
}

function awsRegionOf(topology: Topology, key: string): string {
  const spec = topology.regions.find((r) => r.key === key);
  if (!spec) throw new Error(`no region ${key} in the topology`);
  return spec.awsRegion;
}
