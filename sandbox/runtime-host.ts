/**
 * How the sandbox runs a region's handlers: the runtime's `createChatApp(config)` in-process (warm, as
 * Lambda keeps them), with the region's RuntimeConfig pointing at the sandbox's gateway and edge.
 */
import { names, WEBSOCKET_STAGE } from '../core/names.js';
import { SANDBOX_DEV_TOKEN_SECRET } from '../core/runtime-env.js';
import type { RegionSpec, Topology } from '../core/topology.js';
import type { AwsRequestHandler } from '../runtime/app.js';
import type { RuntimeConfig } from '../runtime/config.js';
import { SANDBOX_CREDENTIALS } from './state.js';

/** The part of the runtime's ChatApp (runtime/app.ts) the sandbox calls. */
export interface HostedChatApp {
  connect(event: unknown): Promise<{ statusCode: number; body?: string }>;
  disconnect(event: unknown): Promise<unknown>;
  message(event: unknown): Promise<{ statusCode: number; body?: string } | undefined | unknown>;
  relay(payload: never): Promise<unknown>;
  health(
    event: unknown,
  ): Promise<{ statusCode?: number; body?: string; headers?: Record<string, unknown> } | string | undefined>;
}

/** What the sandbox hands the app besides its config. */
export interface HostDeps {
  /** The in-process transport for the app's AWS clients (absent: they use the network). */
  readonly requestHandler?: AwsRequestHandler;
}

export type ChatAppFactory = (
  config: RuntimeConfig,
  deps: HostDeps,
) => HostedChatApp | Promise<HostedChatApp>;

/** Loads runtime/app.js lazily (the sandbox's only dependency on the runtime's code). */
export async function defaultChatAppFactory(): Promise<ChatAppFactory> {
  const module = (await import('../runtime/app.js')) as {
    createChatApp: (config: RuntimeConfig, deps: HostDeps) => HostedChatApp;
  };
  return (config, deps) => module.createChatApp(config, deps);
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
  };
}
