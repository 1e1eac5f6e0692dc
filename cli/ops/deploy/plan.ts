/**
 * Which stacks a deploy touches, and in which order, as a pure function of the topology (no CDK loaded).
 * Order: global data (the table and its replicas must exist before a region uses its replica), auth (when
 * the user pool is created here), the regions (home first), the China proxy (its origin must answer).
 */
import { names } from '../../../core/names.js';
import { findRegion, type Topology } from '../../../core/topology.js';

export const CHINA_PROXY_AWS_REGION = 'us-east-1';

export type StackKind = 'global-data' | 'auth' | 'region' | 'china-proxy';

export interface PlannedStack {
  readonly stackName: string;
  readonly kind: StackKind;
  readonly awsRegion: string;
  readonly regionKey?: string;
  /** Why this stack is in the plan, in a few words. */
  readonly why: string;
}

/** True when the stacks create the Cognito user pool (auth mode cognito without an existing pool). */
export function createsUserPool(topology: Topology): boolean {
  return topology.auth.mode === 'cognito' && !topology.auth.userPoolId;
}

function homeAwsRegion(topology: Topology): string {
  return findRegion(topology, topology.homeRegion).awsRegion;
}

function globalData(topology: Topology, why: string): PlannedStack {
  return {
    stackName: names.globalDataStack(topology),
    kind: 'global-data',
    awsRegion: homeAwsRegion(topology),
    why,
  };
}

function auth(topology: Topology): PlannedStack[] {
  return createsUserPool(topology)
    ? [
        {
          stackName: names.authStack(topology),
          kind: 'auth',
          awsRegion: homeAwsRegion(topology),
          why: 'the Cognito user pool',
        },
      ]
    : [];
}

function region(topology: Topology, key: string, why: string): PlannedStack {
  return {
    stackName: names.regionStack(topology, key),
    kind: 'region',
    awsRegion: findRegion(topology, key).awsRegion,
    regionKey: key,
    why,
  };
}

/** Every stack of the app (or, with `region`, what that one region needs), in deploy order. */
export function deployPlan(topology: Topology, options: { region?: string } = {}): PlannedStack[] {
  if (options.region !== undefined) {
    findRegion(topology, options.region);
    return [
      globalData(topology, `the Global Table, with the ${options.region} replica`),
      ...auth(topology),
      region(topology, options.region, 'the region'),
    ];
  }
  const ordered = [
    ...topology.regions.filter((r) => r.key === topology.homeRegion),
    ...topology.regions.filter((r) => r.key !== topology.homeRegion),
  ];
  const plan: PlannedStack[] = [
    globalData(topology, 'the Global Table, one replica per region'),
    ...auth(topology),
    ...ordered.map((r) => region(topology, r.key, r.key === topology.homeRegion ? 'home region' : 'region')),
  ];
  if (topology.china.enabled) {
    plan.push({
      stackName: names.chinaProxyStack(topology),
      kind: 'china-proxy',
      awsRegion: CHINA_PROXY_AWS_REGION,
      why: `CloudFront proxy to ${topology.china.originRegion}`,
    });
  }
  return plan;
}

/**
 * After `region add <key>`: the new replica (global data), the new region, then every other region (their relay
 * targets and relay-invoke permissions now include the new region). The new region's latency record joins the
 * chat name when its stack deploys; the China proxy is unchanged.
 */
export function regionAdditionPlan(topology: Topology, key: string): PlannedStack[] {
  findRegion(topology, key);
  return [
    globalData(topology, `adds the ${key} replica`),
    ...auth(topology),
    region(topology, key, 'the new region, its DNS record and health check'),
    ...topology.regions
      .filter((r) => r.key !== key)
      .map((r) => region(topology, r.key, `relay targets now include ${key}`)),
  ];
}
