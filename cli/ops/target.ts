/**
 * Where the ops commands act. The same ops code runs against AWS and the sandbox: endpoints, credentials,
 * timing (poll intervals, timeouts) and the names that differ are decided here, once, so ops code never
 * asks which kind of target it runs on.
 */
import { UserError } from '../../core/errors.js';
import { names, WEBSOCKET_STAGE } from '../../core/names.js';
import { LOAD_LEVEL_CACHE_MS } from '../../core/protocol.js';
import { CANARY_ALARM_PERIOD_SECONDS } from '../../core/routing-health.js';
import { SANDBOX_DEV_TOKEN_SECRET } from '../../core/runtime-env.js';
import { findRegion, type RegionSpec, type Topology } from '../../core/topology.js';
import { signDevToken } from '../../runtime/auth/dev-token.js';
import { requireSandboxState, SANDBOX_CREDENTIALS, type SandboxState } from '../../sandbox/state.js';

/** Constructor options for any AWS SDK v3 client. */
export interface AwsClientConfig {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts?: number;
}

export interface RegionEndpoints {
  readonly spec: RegionSpec;
  readonly websocketUrl: string;
  readonly healthUrl: string;
}

/** How fast the target moves, so waits poll at its pace and give up at its scale. */
export interface TargetTiming {
  /** Between two TestDNSAnswer polls while waiting for DNS to shift. */
  readonly dnsPollMs: number;
  /** The theoretical floor of a DNS shift: the health check's interval times its failure threshold. */
  readonly shiftFloorMs: number;
  /** How long DNS may take to shift: generous multiples of the floor. */
  readonly shiftTimeoutMs: number;
  /** Between two pings through the China proxy while waiting for a new origin to serve. */
  readonly chinaPollMs: number;
  /** How long a new China origin may take to serve (a CloudFront change deploys in minutes on AWS). */
  readonly chinaMoveTimeoutMs: number;
  /** Per message of the drill's chat check. */
  readonly chatTimeoutMs: number;
  /** The period of the canary's judgement alarms (core/routing-health.ts): how long one datapoint covers. */
  readonly judgementPeriodSeconds: number;
  /** How long Route 53 may take to see an alarm's new state (it reads alarms about every 30 s on AWS). */
  readonly alarmReadSeconds: number;
  /** How long a region's handlers trust a load level they read: a new level acts this late. */
  readonly levelCacheMs: number;
}

export interface Target {
  /** For reports and journals only: behaviour differences live in the fields below. */
  readonly kind: 'sandbox' | 'aws';
  readonly topology: Topology;
  /** Present when kind is sandbox. */
  readonly sandbox?: SandboxState;
  readonly timing: TargetTiming;
  /** The hosted zone that holds the chat record. */
  readonly hostedZoneId: string;
  /**
   * Whether a latency record's alias target must be resolved to map a DNS answer back to its region (on AWS
   * an alias answers with the target's addresses; the sandbox answers with the alias name).
   */
  readonly resolvesAliases: boolean;
  /** What to suggest when a connection to the chat fails. */
  readonly connectHint: string;
  /** The China proxy's WebSocket URL, given the distribution's domain (undefined when there is none). */
  chinaProxyUrl(distributionDomain: string | undefined): string | undefined;
  /**
   * The global name, wss://chat.<domain>/prod, as a client that latency DNS sent to region `key` reaches it: the
   * URL carries the global name (TLS, certificate and Host check are those of chat.<domain>, which every region's
   * API Gateway holds), and the address is DNS's answer. In the sandbox each region's gateway is a port of
   * 127.0.0.1 that answers for chat.<domain> by Host.
   */
  globalEndpoint(key: string, answered?: readonly string[]): { url: string; address?: string };
  /** SDK client options for one AWS region. */
  clientConfig(awsRegion: string): AwsClientConfig;
  /** SDK client options for Route 53 and CloudFront (global services signed in us-east-1). */
  globalClientConfig(): AwsClientConfig;
  region(key: string): RegionEndpoints;
  regions(): RegionEndpoints[];
  /** A token for a probe or test identity that the region's $connect accepts. */
  token(userId: string, ttlSeconds?: number): string;
}

export async function openTarget(topology: Topology): Promise<Target> {
  if (topology.target === 'sandbox') return sandboxTarget(topology, await requireSandboxState());
  return awsTarget(topology);
}

export function sandboxTarget(topology: Topology, sandbox: SandboxState): Target {
  const clientConfig = (awsRegion: string): AwsClientConfig => ({
    region: awsRegion,
    endpoint: sandbox.edge,
    credentials: { ...SANDBOX_CREDENTIALS },
    maxAttempts: 2,
  });
  const region = (key: string): RegionEndpoints => {
    const spec = findRegion(topology, key);
    const endpoints = sandbox.regions[key];
    if (!endpoints) {
      throw new UserError(`region "${key}" is in chatctl.json but not in the running sandbox`, {
        hint: 'restart it: chatctl sandbox down && chatctl sandbox up --detach',
      });
    }
    return { spec, websocketUrl: endpoints.websocketUrl, healthUrl: endpoints.healthUrl };
  };
  const { healthCheckIntervalSeconds, failureThreshold } = topology.sandbox;
  const shiftFloorMs = healthCheckIntervalSeconds * 1000 * failureThreshold;
  return {
    kind: 'sandbox',
    topology,
    sandbox,
    timing: {
      dnsPollMs: 100,
      shiftFloorMs,
      shiftTimeoutMs: Math.max(15_000, shiftFloorMs * 5),
      chinaPollMs: 100,
      chinaMoveTimeoutMs: 15_000,
      chatTimeoutMs: 8000,
      // The sandbox's alarms evaluate 10 s periods, and its Route 53 follows an alarm the moment it changes.
      judgementPeriodSeconds: sandbox.canary?.alarmPeriodSeconds ?? 10,
      alarmReadSeconds: 1,
      levelCacheMs: sandbox.surge?.levelCacheMs ?? LOAD_LEVEL_CACHE_MS,
    },
    hostedZoneId: sandbox.hostedZoneId ?? topology.hostedZone.id,
    resolvesAliases: false,
    connectHint: 'is the sandbox running? run: chatctl sandbox status',
    // The sandbox serves its proxy at its own address, whatever the distribution's domain.
    chinaProxyUrl: () => (sandbox.china?.url ? websocketUrlOf(sandbox.china.url) : undefined),
    globalEndpoint: (key) => ({
      url: `ws://${names.chatRecord(topology)}:${new URL(region(key).websocketUrl).port}/${WEBSOCKET_STAGE}`,
      address: '127.0.0.1',
    }),
    clientConfig,
    globalClientConfig: () => clientConfig('us-east-1'),
    region,
    regions: () => topology.regions.filter((r) => sandbox.regions[r.key]).map((r) => region(r.key)),
    token: (userId, ttlSeconds = 3600) =>
      signDevToken({ userId, ttlSeconds, secret: SANDBOX_DEV_TOKEN_SECRET }),
  };
}

export function awsTarget(topology: Topology): Target {
  const region = (key: string): RegionEndpoints => {
    const spec = findRegion(topology, key);
    return {
      spec,
      websocketUrl: `wss://${names.regionalDomain(topology, key)}/${WEBSOCKET_STAGE}`,
      healthUrl: `https://${names.regionalHealthDomain(topology, key)}/health`,
    };
  };
  const shiftFloorMs = topology.healthCheck.intervalSeconds * 1000 * topology.healthCheck.failureThreshold;
  return {
    kind: 'aws',
    topology,
    timing: {
      dnsPollMs: 2000,
      shiftFloorMs,
      shiftTimeoutMs: Math.max(120_000, shiftFloorMs * 4 + 60_000),
      chinaPollMs: 5000,
      chinaMoveTimeoutMs: 30 * 60_000,
      chatTimeoutMs: 15_000,
      judgementPeriodSeconds: CANARY_ALARM_PERIOD_SECONDS,
      alarmReadSeconds: 30,
      levelCacheMs: LOAD_LEVEL_CACHE_MS,
    },
    hostedZoneId: topology.hostedZone.id,
    resolvesAliases: true,
    connectHint: 'check the region: chatctl health',
    chinaProxyUrl: (domain) => (domain ? websocketUrlOf(domain) : undefined),
    globalEndpoint: (_key, answered = []) => ({
      url: `wss://${names.chatRecord(topology)}/${WEBSOCKET_STAGE}`,
      address: answered[0],
    }),
    clientConfig: (awsRegion) => ({ region: awsRegion, maxAttempts: 3 }),
    globalClientConfig: () => ({ region: 'us-east-1', maxAttempts: 3 }),
    region,
    regions: () => topology.regions.map((r) => region(r.key)),
    token: (userId, ttlSeconds = 3600) => {
      const preset = process.env.CHATCTL_PROBE_TOKEN;
      if (preset) return preset;
      const secret = process.env.CHATCTL_DEV_TOKEN_SECRET;
      if (topology.auth.mode === 'dev' && secret) return signDevToken({ userId, ttlSeconds, secret });
      throw new UserError('no probe identity for AWS', {
        hint: 'set CHATCTL_PROBE_TOKEN to a token of a probe user (or CHATCTL_DEV_TOKEN_SECRET in dev auth mode)',
      });
    },
  };
}

/** A WebSocket URL from a host or an http(s) URL: wss:// by default, the API's stage when no path is given. */
export function websocketUrlOf(base: string): string {
  const url = new URL(base.includes('://') ? base : `wss://${base}`);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.pathname === '/' || url.pathname === '') url.pathname = `/${WEBSOCKET_STAGE}`;
  return url.toString();
}
