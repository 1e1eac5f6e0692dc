/** The environment every chat function gets (names from core/runtime-env.ts), built from the topology. */
import { names } from '../core/names.js';
import { metricsNamespace } from '../core/observability.js';
import { RUNTIME_ENV } from '../core/runtime-env.js';
import type { Topology } from '../core/topology.js';

/**
 * How $connect verifies identities, as the stacks pass it to the handlers. Auth mode "dev" passes the name of
 * the Secrets Manager secret (the handlers read its value at run time), never a secret: a template is not
 * a place for one. "none" is for functions that never see a connection.
 */
export type StackAuth =
  | { readonly mode: 'dev'; readonly secretName: string }
  | {
      readonly mode: 'cognito';
      readonly userPoolId: string;
      readonly userPoolClientId: string;
      /** The chat canary's sign-in (stacks/canary-auth.ts): its app client, probe user and password's secret. */
      readonly canary?: CanarySignIn;
    }
  | { readonly mode: 'none' };

export interface CanarySignIn {
  readonly clientId: string;
  readonly username: string;
  /** The Secrets Manager secret's name; each region reads its own replica. */
  readonly passwordSecretName: string;
  readonly userPoolRegion: string;
  /** The AWS region of the pool's secondary replica (topology auth.replicaRegion), if any. */
  readonly replicaRegion?: string;
}

/** The relay functions of every region but `regionKey`: { key: { awsRegion, functionName } }. */
export function relayTargets(
  topology: Topology,
  regionKey: string,
): Record<string, { awsRegion: string; functionName: string }> {
  return Object.fromEntries(
    topology.regions
      .filter((r) => r.key !== regionKey)
      .map((r) => [r.key, { awsRegion: r.awsRegion, functionName: names.relayFunction(topology, r.key) }]),
  );
}

export function runtimeEnvironment(
  topology: Topology,
  regionKey: string,
  auth: StackAuth,
): Record<string, string> {
  const env: Record<string, string> = {
    [RUNTIME_ENV.tableName]: names.table(topology),
    [RUNTIME_ENV.regionKey]: regionKey,
    [RUNTIME_ENV.relayTargets]: JSON.stringify(relayTargets(topology, regionKey)),
    [RUNTIME_ENV.authMode]: auth.mode,
    [RUNTIME_ENV.metricsNamespace]: metricsNamespace(topology.app),
  };
  if (auth.mode === 'dev') env[RUNTIME_ENV.devTokenSecretId] = auth.secretName;
  else if (auth.mode === 'cognito') {
    env[RUNTIME_ENV.userPoolId] = auth.userPoolId;
    env[RUNTIME_ENV.userPoolClientId] = auth.userPoolClientId;
    // $connect accepts the canary client's tokens as the region's canary user.
    if (auth.canary) env[RUNTIME_ENV.canaryClientId] = auth.canary.clientId;
  }
  if (topology.auth.tokenInQuery) env[RUNTIME_ENV.tokenInQuery] = 'true';
  if (topology.analytics.enabled) env[RUNTIME_ENV.firehoseStream] = names.firehoseStream(topology);
  return env;
}
