/**
 * One running region of the sandbox: its API Gateway (a port of its own) and its handlers, built from a
 * RuntimeConfig that points at that gateway and the sandbox's edge. The handlers are rebuilt when the set of
 * regions changes (their relay targets do); the gateway always calls the current ones.
 */
import { UserError } from '../core/errors.js';
import { names } from '../core/names.js';
import { stageThrottles } from '../core/routing-health.js';
import { type RegionSpec, type Topology, unknownRegion } from '../core/topology.js';
import type { RuntimeConfig } from '../runtime/config.js';
import type { RegionRuntimeInfo } from './contracts.js';
import type { FaultRegistry } from './faults.js';
import { type Gateway, type GatewayOptions, startGateway } from './gateway/server.js';
import { type LogWriter, loggedApp } from './handler-log.js';
import { listenOrExplain } from './ports.js';
import { type ChatAppFactory, type HostDeps, type HostedChatApp, runtimeConfigFor } from './runtime-host.js';
import type { SandboxRegionEndpoints } from './state.js';

/** What building a region's handlers needs besides the region. */
export interface AppBuilder {
  readonly createApp: ChatAppFactory;
  readonly deps: HostDeps;
  readonly edgeUrl: string;
  /** Given a sandbox log, every handler invocation writes a line to it. */
  readonly log?: LogWriter;
}

async function buildApp(topology: Topology, spec: RegionSpec, config: RuntimeConfig, builder: AppBuilder) {
  const app = await builder.createApp(config, builder.deps);
  return builder.log ? loggedApp(app, topology, spec, builder.log) : app;
}

/** A region as the sandbox's users see it (tests, the CLI in-process). */
export interface SandboxRegion {
  readonly key: string;
  readonly awsRegion: string;
  readonly spec: RegionSpec;
  readonly websocketUrl: string;
  readonly managementUrl: string;
  readonly healthUrl: string;
  readonly gatewayPort: number;
  readonly config: RuntimeConfig;
  readonly app: HostedChatApp;
  /** Open WebSocket connections on its gateway. */
  connectionCount(): number;
  /** What the services are told of it (its API id among them). */
  info(): RegionRuntimeInfo;
}

export class RunningRegion implements SandboxRegion {
  private constructor(
    readonly spec: RegionSpec,
    readonly gateway: Gateway,
    public config: RuntimeConfig,
    public app: HostedChatApp,
  ) {}

  /**
   * Starts the region's gateway on `how.port` (0: any free port), then its handlers for the region
   * set `all`. The gateway asks for the handlers through `current`, so it never sees a half-built region.
   */
  static async start(
    topology: Topology,
    spec: RegionSpec,
    all: readonly RegionSpec[],
    builder: AppBuilder,
    how: {
      readonly gateway: Pick<
        GatewayOptions,
        'account' | 'idleTimeoutMs' | 'maxConnectionMs' | 'onError' | 'host' | 'access'
      >;
      /** gateway-down refuses upgrades and /health; latency delays both. */
      readonly faults: FaultRegistry;
      /** Its port in the sandbox's plan (ports.ts); a taken one is an error naming it. */
      readonly port: number;
    },
  ): Promise<RunningRegion> {
    let region: RunningRegion | undefined;
    const options: GatewayOptions = {
      ...how.gateway,
      isDown: () => how.faults.has(spec.key, 'gateway-down'),
      delayMs: () => how.faults.latencyMs(spec.key),
      // As each region's API Gateway holds them: its own names and the global chat.<domain>.
      domainNames: [
        names.regionalDomain(topology, spec.key),
        names.regionalHealthDomain(topology, spec.key),
        names.chatRecord(topology),
      ],
      regionKey: spec.key,
      awsRegion: spec.awsRegion,
      // The stage throttles the stacks set from the same topology.
      throttles: stageThrottles(topology),
      app: () => {
        if (!region) throw new Error(`region ${spec.key} is not running`);
        return region.app;
      },
    };
    const started = await listenOrExplain(how.port, `the gateway of region ${spec.key}`, () =>
      startGateway({ ...options, port: how.port }),
    );
    try {
      const config = RunningRegion.configFor(topology, spec, all, started.port, builder);
      region = new RunningRegion(spec, started, config, await buildApp(topology, spec, config, builder));
      return region;
    } catch (error) {
      await started.stop();
      throw error;
    }
  }

  private static configFor(
    topology: Topology,
    spec: RegionSpec,
    all: readonly RegionSpec[],
    gatewayPort: number,
    builder: AppBuilder,
  ): RuntimeConfig {
    return runtimeConfigFor(topology, spec, all, { gatewayPort, edgeUrl: builder.edgeUrl });
  }

  /** Rebuilds the handlers for a new region set (new relay targets). */
  async reconfigure(topology: Topology, all: readonly RegionSpec[], builder: AppBuilder): Promise<void> {
    const config = RunningRegion.configFor(topology, this.spec, all, this.gateway.port, builder);
    const app = await buildApp(topology, this.spec, config, builder);
    this.config = config;
    this.app = app;
  }

  get key(): string {
    return this.spec.key;
  }
  get awsRegion(): string {
    return this.spec.awsRegion;
  }
  get websocketUrl(): string {
    return this.gateway.websocketUrl;
  }
  get managementUrl(): string {
    return this.gateway.managementUrl;
  }
  get healthUrl(): string {
    return this.gateway.healthUrl;
  }
  get gatewayPort(): number {
    return this.gateway.port;
  }

  connectionCount(): number {
    return this.gateway.connectionCount();
  }

  info(): RegionRuntimeInfo {
    return {
      key: this.key,
      awsRegion: this.awsRegion,
      websocketUrl: this.websocketUrl,
      healthUrl: this.healthUrl,
      gatewayPort: this.gatewayPort,
      apiId: this.gateway.apiId,
    };
  }

  endpoints(): SandboxRegionEndpoints {
    return {
      awsRegion: this.awsRegion,
      websocketUrl: this.websocketUrl,
      managementUrl: this.managementUrl,
      healthUrl: this.healthUrl,
    };
  }
}

/** Refuses a new region whose key or AWS region already runs. */
export function refuseClash(running: Iterable<RunningRegion>, spec: RegionSpec): void {
  const regions = [...running];
  if (regions.some((r) => r.key === spec.key)) {
    throw new UserError(`region "${spec.key}" is already running in the sandbox`);
  }
  const clash = regions.find((r) => r.awsRegion === spec.awsRegion);
  if (clash) throw new UserError(`AWS region ${spec.awsRegion} is already used by "${clash.key}"`);
}

/** The running region of that key, or a UserError naming the running ones. */
export function requireRegion(regions: ReadonlyMap<string, RunningRegion>, key: string): RunningRegion {
  const region = regions.get(key) ?? [...regions.values()].find((r) => r.spec.awsRegion === key);
  if (!region)
    throw unknownRegion(
      key,
      [...regions.values()].map((r) => r.spec),
      'in the running sandbox',
    );
  return region;
}

export function withRegion(topology: Topology, spec: RegionSpec): Topology {
  return { ...topology, regions: [...topology.regions.filter((r) => r.key !== spec.key), spec] };
}

export function withoutRegion(topology: Topology, key: string): Topology {
  return { ...topology, regions: topology.regions.filter((r) => r.key !== key) };
}
