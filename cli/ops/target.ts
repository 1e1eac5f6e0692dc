/**
 * Where the ops commands act. The same ops code runs against AWS and the sandbox: only endpoints and
 * credentials differ, and they are decided here, once.
 */
import { UserError } from '../../core/errors.js';
import { names, WEBSOCKET_STAGE } from '../../core/names.js';
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

export interface Target {
  readonly kind: 'sandbox' | 'aws';
  readonly topology: Topology;
  /** Present when kind is sandbox. */
  readonly sandbox?: SandboxState;
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
  return {
    kind: 'sandbox',
    topology,
    sandbox,
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
  return {
    kind: 'aws',
    topology,
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
