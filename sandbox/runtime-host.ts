/**
 * How the sandbox runs a region's handlers: the runtime's `createChatApp(config)` in-process (warm, as
 * Lambda keeps them), with the region's RuntimeConfig pointing at the sandbox's gateway and edge.
 */
import { names, WEBSOCKET_STAGE } from '../core/names.js';
import { metricsNamespace } from '../core/observability.js';
import { SANDBOX_DEV_TOKEN_SECRET } from '../core/runtime-env.js';
import type { RegionSpec, Topology } from '../core/topology.js';
import type { ChatApp, ChatAppDeps } from '../runtime/app.js';
import type { RuntimeConfig } from '../runtime/config.js';
import { SANDBOX_CREDENTIALS } from './state.js';

/** The part of the runtime's ChatApp the sandbox calls: its handlers, typed as the runtime types them. */
export type HostedChatApp = Pick<ChatApp, 'connect' | 'disconnect' | 'message' | 'relay' | 'health'>;

/**
 * What the sandbox hands the app besides its config: the in-process transport of its AWS clients, and the
 * sink of its embedded-metric-format lines.
 */
export type HostDeps = Pick<ChatAppDeps, 'requestHandler' | 'metrics' | 'loadCacheMs'>;

export type ChatAppFactory = (
  config: RuntimeConfig,
  deps: HostDeps,
) => HostedChatApp | Promise<HostedChatApp>;

/** Loads runtime/app.js lazily (the sandbox's only dependency on the runtime's code). */
export async function defaultChatAppFactory(): Promise<ChatAppFactory> {
  const { createChatApp } = await import('../runtime/app.js');
  return (config, deps) => createChatApp(config, deps);
}

export function runtimeConfigFor(
  topology: Topology,
  region: RegionSpec,
  regions: readonly RegionSpec[],
  endpoints: { gatewayPort: number; edgeUrl: string },
): RuntimeConfig {
  const relayTargets = Object.fromEntries(
    regions
      .filter((r) => r.key !== region.key)
      .map((r) => [r.key, { awsRegion: r.awsRegion, functionName: names.relayFunction(topology, r.key) }]),
  );
  return {
    tableName: names.table(topology),
    regionKey: region.key,
    awsRegion: region.awsRegion,
    relayTargets,
    managementEndpoint: `http://127.0.0.1:${endpoints.gatewayPort}/${WEBSOCKET_STAGE}`,
    // The prefix tells the edge which region calls (stripped there), so cross-region Invokes take the lag.
    awsEndpoint: `${endpoints.edgeUrl}/_from/${region.key}`,
    credentials: { ...SANDBOX_CREDENTIALS },
    auth: { mode: 'dev', secret: SANDBOX_DEV_TOKEN_SECRET },
    ...(topology.auth.tokenInQuery ? { tokenInQuery: true } : {}),
    metricsNamespace: metricsNamespace(topology.app),
  };
}
