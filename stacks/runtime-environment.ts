/** The environment every chat function gets (names from core/runtime-env.ts), built from the topology. */
import { names } from '../core/names.js';
import { metricsNamespace } from '../core/observability.js';
import { RUNTIME_ENV } from '../core/runtime-env.js';
import type { Topology } from '../core/topology.js';

/** How $connect verifies identities, as the stacks pass it to the handlers. */
export type StackAuth =
  | { readonly mode: 'dev'; readonly devTokenSecret: string }
  | { readonly mode: 'cognito'; readonly userPoolId: string; readonly userPoolClientId: string };

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
  if (auth.mode === 'dev') env[RUNTIME_ENV.devTokenSecret] = auth.devTokenSecret;
  else {
    env[RUNTIME_ENV.userPoolId] = auth.userPoolId;
    env[RUNTIME_ENV.userPoolClientId] = auth.userPoolClientId;
  }
  if (topology.analytics.enabled) env[RUNTIME_ENV.firehoseStream] = names.firehoseStream(topology);
  return env;
}
