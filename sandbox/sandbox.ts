/**
 * The sandbox: every region of a topology on this machine, in one Node process plus one DynamoDB Local JVM.
 * `start(topology, options)` runs the edge endpoint (DynamoDB, Streams, Lambda, STS, and Route 53 /
 * CloudFront from global/), a gateway per region running the runtime's handlers, and Global Table
 * replication between the regions' databases. The CLI only wraps it.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CHAT_TABLE_SHAPE } from '../core/datamodel.js';
import { UserError } from '../core/errors.js';
import { names } from '../core/names.js';
import type { RegionSpec, Topology } from '../core/topology.js';
import type { AwsRequestHandler } from '../runtime/app.js';
import type { RuntimeConfig } from '../runtime/config.js';
import type { GlobalServices, GlobalServicesOptions, RegionRuntimeInfo } from './contracts.js';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local.js';
import { dynamoService, engineClient, ensureChatTable } from './dynamodb-service.js';
import { type ControlHandler, type Edge, startEdge } from './edge.js';
import { EngineClient } from './engine-client.js';
import {
  type ActiveFault,
  type Fault,
  type FaultKind,
  FaultRegistry,
  parseFault,
  parseFaultKind,
} from './faults.js';
import { type Gateway, startGateway } from './gateway.js';
import { type LagSetting, lagFor } from './lag.js';
import { type LambdaFunction, lambdaService, stsService } from './lambda-service.js';
import { LocalTransport } from './local-transport.js';
import { type ReplicationStats, Replicator } from './replication.js';
import {
  type ChatAppFactory,
  defaultChatAppFactory,
  type HostedChatApp,
  runtimeConfigFor,
} from './runtime-host.js';
import {
  removeSandboxState,
  SANDBOX_ACCOUNT,
  type SandboxRegionEndpoints,
  type SandboxState,
  stateDir,
  writeSandboxState,
} from './state.js';

export type { ActiveFault, Fault, FaultKind } from './faults.js';
export { formatFault, parseFault, parseFaultKind } from './faults.js';
export type { LagSetting } from './lag.js';
export { defaultLagMs } from './lag.js';

export interface SandboxOptions {
  /** Edge port; 0 picks any free port. Default: topology.sandbox.port. */
  readonly port?: number;
  /** Keep DynamoDB data on disk across restarts (in `dataDir`, default .chatctl/data). */
  readonly persist?: boolean;
  readonly dataDir?: string;
  /** Reuse a running DynamoDB Local instead of starting one (tests share one engine). */
  readonly dynamoEndpoint?: string;
  /**
   * The access key every DynamoDB request is rewritten to: DynamoDB Local keeps one database per access key
   * and region, so sandboxes sharing one engine stay apart. Default: random with dynamoEndpoint, else fixed.
   */
  readonly instanceId?: string;
  /** Replication lag: ms for every pair, or per pair "from:to" of region keys (and "*"). Default: geographic. */
  readonly lag?: LagSetting;
  /** API Gateway's idle timeout (10 min) and maximum connection time (2 h), shorter for tests. */
  readonly idleTimeoutMs?: number;
  readonly maxConnectionMs?: number;
  /** Gateway ports: 'auto' = edge port + 1, + 2, ... when the edge port is fixed, else any free port. */
  readonly gatewayPorts?: 'auto' | 'any';
  /** Start Route 53 / CloudFront / the China proxy (sandbox/global) when available. Default true. */
  readonly globalServices?: boolean;
  readonly healthCheckIntervalMs?: number;
  readonly failureThreshold?: number;
  /**
   * Replication's stream reads: at most every pollIntervalMs (20) while the edge notes writes in the region,
   * and every idlePollIntervalMs (100) otherwise.
   */
  readonly pollIntervalMs?: number;
  readonly idlePollIntervalMs?: number;
  /** Where to write sandbox.json (kept up to date; removed on stop). Default: not written. */
  readonly statePath?: string;
  /** Recorded in sandbox.json as the process that runs the sandbox. Default: this process. */
  readonly pid?: number;
  /**
   * How the handlers' AWS clients reach the edge and the gateways: 'in-process' (default) hands each signed
   * request to the router the port serves, 'http' goes through the loopback ports as any outside client does.
   */
  readonly transport?: 'in-process' | 'http';
  /** The runtime's app factory; default runtime/app.js createChatApp. */
  readonly createApp?: ChatAppFactory;
  /** Called by the control API's stop request (the CLI exits its process there). Default: stop(). */
  readonly onStopRequest?: () => void;
  /** Errors of background work (replication, handlers). Default: printed to stderr. */
  readonly onError?: (error: Error, where: string) => void;
}

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
}

export interface SandboxFaults {
  /** gateway-down | replication-pause | latency=MS | relay-error (a string as the CLI takes it, or a Fault). */
  inject(region: string, fault: Fault | string): ActiveFault;
  /** Heals one fault kind, or every fault of the region; returns what was healed. */
  heal(region: string, kind?: FaultKind | string): ActiveFault[];
  list(region?: string): ActiveFault[];
}

export interface SandboxReplication {
  pause(region: string): void;
  resume(region: string): void;
  isPaused(region: string): boolean;
  /** Waits until every change made so far is applied in every region that is not paused. */
  settle(timeoutMs?: number): Promise<void>;
  waitIdle(timeoutMs?: number): Promise<void>;
  readonly stats: ReplicationStats;
  /** The configured one-way lag between two region keys, ms (without latency faults). */
  lagMs(from: string, to: string): number;
}

export interface Sandbox {
  readonly state: SandboxState;
  /** The AWS-compatible endpoint. */
  readonly edge: string;
  readonly topology: Topology;
  readonly instanceId: string;
  readonly tableName: string;
  readonly regions: ReadonlyMap<string, SandboxRegion>;
  readonly global?: GlobalServices;
  readonly faults: SandboxFaults;
  readonly replication: SandboxReplication;
  /**
   * An SDK `requestHandler` that reaches the edge and the gateways in-process, as the handlers' clients do
   * (see local-transport.ts); clients elsewhere use the ports.
   */
  readonly requestHandler: AwsRequestHandler;
  addRegion(spec: RegionSpec): Promise<SandboxRegion>;
  removeRegion(key: string): Promise<void>;
  stop(): Promise<void>;
}

interface RegionRuntime {
  spec: RegionSpec;
  gateway: Gateway;
  config: RuntimeConfig;
  app: HostedChatApp;
}

const defaultOnError = (error: Error, where: string) => {
  process.stderr.write(`sandbox: ${where}: ${error?.message ?? String(error)}\n`);
};

async function loadGlobalServices(): Promise<(options: GlobalServicesOptions) => Promise<GlobalServices>> {
  const module = await import('./global/index.js');
  return module.startGlobalServices;
}

export async function start(topologyIn: Topology, options: SandboxOptions = {}): Promise<Sandbox> {
  let topology: Topology = structuredClone(topologyIn);
  const onError = options.onError ?? defaultOnError;
  const tableName = names.table(topology);
  const faults = new FaultRegistry();
  const regions = new Map<string, RegionRuntime>();
  const cleanups: (() => Promise<void>)[] = [];
  const persist = Boolean(options.persist);
  const instanceId =
    options.instanceId ?? (options.dynamoEndpoint ? `sbx${randomBytes(6).toString('hex')}` : 'chatctl');
  if (!/^[A-Za-z0-9]{1,64}$/.test(instanceId)) {
    throw new UserError(`instanceId "${instanceId}" must be 1-64 letters or digits`);
  }

  let dynamo: DynamoDbLocal | undefined;
  let edge: Edge | undefined;
  let replicator: Replicator | undefined;
  let global: GlobalServices | undefined;
  let stopping: Promise<void> | undefined;
  const engineClients = new Map<string, DynamoDBClient>();
  const invocations = new Set<Promise<unknown>>();
  const local = new LocalTransport();

  const stopAll = async () => {
    await global?.stop().catch((e: Error) => onError(e, 'stopping global services'));
    await Promise.all(
      [...regions.values()].map((r) =>
        r.gateway.stop().catch((e: Error) => onError(e, `stopping ${r.spec.key}`)),
      ),
    );
    await Promise.race([
      Promise.allSettled([...invocations]),
      new Promise((resolve) => setTimeout(resolve, 3000)),
    ]);
    await replicator?.stop().catch((e: Error) => onError(e, 'stopping replication'));
    for (const client of engineClients.values()) client.destroy();
    await edge?.stop().catch((e: Error) => onError(e, 'stopping the edge'));
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    await dynamo?.stop();
    if (options.statePath) await removeSandboxState(options.statePath);
  };

  // The JVM starts while the handlers' modules load.
  const dynamoStarting = options.dynamoEndpoint
    ? undefined
    : startDynamoDbLocal(persist ? { dataDir: options.dataDir ?? join(stateDir(), 'data') } : {});
  dynamoStarting?.catch(() => {});
  const appFactory = options.createApp ? Promise.resolve(options.createApp) : defaultChatAppFactory();
  appFactory.catch(() => {});
  const globalFactory = options.globalServices === false ? Promise.resolve(undefined) : loadGlobalServices();
  globalFactory.catch(() => {});

  try {
    if (dynamoStarting) dynamo = await dynamoStarting;
    const engineEndpoint = options.dynamoEndpoint ?? dynamo!.endpoint;
    const engine = (awsRegion: string) => {
      let client = engineClients.get(awsRegion);
      if (!client) {
        client = engineClient(engineEndpoint, instanceId, awsRegion);
        engineClients.set(awsRegion, client);
      }
      return client;
    };
    const edgePort = options.port ?? topology.sandbox.port;
    try {
      edge = await startEdge({ port: edgePort });
      local.route(edge.port, edge.dispatch);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new UserError(`port ${edgePort} is already in use, so the sandbox's edge cannot listen there`, {
          hint: 'pick another with --port N (or stop what uses it)',
        });
      }
      throw error;
    }
    const edgeUrl = edge.url;
    const lagSetting = options.lag;
    const specOf = (key: string) => regions.get(key)?.spec ?? topology.regions.find((r) => r.key === key);
    const lagMs = (from: string, to: string) => {
      const a = specOf(from);
      const b = specOf(to);
      return a && b ? lagFor(lagSetting, a, b) : 100;
    };
    replicator = new Replicator({
      endpoint: engineEndpoint,
      instanceId,
      tableName,
      lagMs,
      extraDelayMs: (region) => faults.latencyMs(region),
      faultPaused: (region) => faults.has(region, 'replication-pause'),
      pollIntervalMs: options.pollIntervalMs,
      idlePollIntervalMs: options.idlePollIntervalMs,
      onError,
    });
    const rep = replicator;
    faults.onChange((region) => {
      if (faults.has(region, 'gateway-down')) regions.get(region)?.gateway.dropAll();
      rep.pumpAll();
      void writeState();
    });

    edge.services.set(
      'dynamodb',
      dynamoService({
        endpoint: engineEndpoint,
        instanceId,
        tableName,
        replicaRegions: () => [...regions.values()].map((r) => r.spec.awsRegion),
        onWrite: (awsRegion) => rep.noteWrite(awsRegion),
      }),
    );
    const functions = (awsRegion: string, name: string): LambdaFunction | undefined => {
      for (const region of regions.values()) {
        if (region.spec.awsRegion !== awsRegion) continue;
        if (name === names.relayFunction(topology, region.spec.key)) {
          return {
            awsRegion,
            regionKey: region.spec.key,
            name,
            invoke: (payload) => region.app.relay(payload as never),
          };
        }
        if (name === names.function(topology, region.spec.key, 'health')) {
          return {
            awsRegion,
            regionKey: region.spec.key,
            name,
            invoke: (payload) => region.app.health(payload),
          };
        }
      }
      return undefined;
    };
    edge.services.set(
      'lambda',
      lambdaService({
        account: SANDBOX_ACCOUNT,
        find: functions,
        failing: (fn) => faults.has(fn.regionKey, 'relay-error'),
        // A cross-region Invoke crosses the network between the regions: the pair's lag, plus latency faults.
        delayMs: (caller, fn) =>
          caller && caller !== fn.regionKey && regions.has(caller)
            ? lagMs(caller, fn.regionKey) + faults.latencyMs(caller) + faults.latencyMs(fn.regionKey)
            : 0,
        onError,
        track: (work) => {
          invocations.add(work);
          void work.finally(() => invocations.delete(work));
        },
      }),
    );
    edge.services.set('sts', stsService(SANDBOX_ACCOUNT));

    const createApp = await appFactory;
    const hostDeps = options.transport === 'http' ? {} : { requestHandler: local.requestHandler };
    const gatewayPorts = options.gatewayPorts ?? 'auto';
    let nextPort = edge.port + 1;

    const startRegionGateway = async (spec: RegionSpec): Promise<Gateway> => {
      const gatewayOptions = {
        regionKey: spec.key,
        awsRegion: spec.awsRegion,
        account: SANDBOX_ACCOUNT,
        idleTimeoutMs: options.idleTimeoutMs,
        maxConnectionMs: options.maxConnectionMs,
        app: () => {
          const region = regions.get(spec.key);
          if (!region) throw new Error(`region ${spec.key} is not running`);
          return region.app;
        },
        isDown: () => faults.has(spec.key, 'gateway-down'),
        delayMs: () => faults.latencyMs(spec.key),
        onError,
      };
      if (gatewayPorts === 'auto' && edgePort !== 0) {
        for (let attempt = 0; attempt < 20; attempt++) {
          const port = nextPort++;
          try {
            return await startGateway({ ...gatewayOptions, port });
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
          }
        }
      }
      return startGateway({ ...gatewayOptions, port: 0 });
    };

    const configure = async (region: RegionRuntime, all: readonly RegionSpec[]) => {
      region.config = runtimeConfigFor(topology, region.spec, all, {
        gatewayPort: region.gateway.port,
        edgeUrl,
      });
      region.app = await createApp(region.config, hostDeps);
    };

    const reconfigureAll = async () => {
      const all = [...regions.values()].map((r) => r.spec);
      for (const region of regions.values()) await configure(region, all);
    };

    const info = (region: RegionRuntime): RegionRuntimeInfo => ({
      key: region.spec.key,
      awsRegion: region.spec.awsRegion,
      websocketUrl: region.gateway.websocketUrl,
      healthUrl: region.gateway.healthUrl,
      gatewayPort: region.gateway.port,
    });

    const bringUpRegion = async (spec: RegionSpec, copyFrom?: string): Promise<RegionRuntime> => {
      const created = await ensureChatTable(engine(spec.awsRegion), tableName);
      await rep.addRegion(spec.key, spec.awsRegion, { fromStart: created });
      if (copyFrom) {
        const source = regions.get(copyFrom);
        if (source) {
          const raw = new EngineClient(engineEndpoint, instanceId, source.spec.awsRegion);
          await copyItems(raw, rep, spec.key, tableName);
        }
      }
      const gateway = await startRegionGateway(spec);
      local.route(gateway.port, gateway.dispatch);
      const region: RegionRuntime = {
        spec,
        gateway,
        config: undefined as unknown as RuntimeConfig,
        app: undefined as unknown as HostedChatApp,
      };
      return region;
    };

    // Every region's table and replication first, then gateways and apps.
    for (const spec of topology.regions) {
      const region = await bringUpRegion(spec);
      regions.set(spec.key, region);
    }
    await reconfigureAll();

    const startGlobal = await globalFactory;
    if (startGlobal) {
      global = await startGlobal({
        topology,
        regions: [...regions.values()].map(info),
        account: SANDBOX_ACCOUNT,
        healthCheckIntervalMs:
          options.healthCheckIntervalMs ?? topology.sandbox.healthCheckIntervalSeconds * 1000,
        failureThreshold: options.failureThreshold ?? topology.sandbox.failureThreshold,
      });
      for (const [service, handler] of Object.entries(global.services)) edge.services.set(service, handler);
    }

    const startedAt = new Date().toISOString();
    const dynamoPid = dynamo?.pid ?? -1;
    const buildState = (): SandboxState => {
      const endpoints: Record<string, SandboxRegionEndpoints> = {};
      for (const region of regions.values()) {
        endpoints[region.spec.key] = {
          awsRegion: region.spec.awsRegion,
          websocketUrl: region.gateway.websocketUrl,
          managementUrl: region.gateway.managementUrl,
          healthUrl: region.gateway.healthUrl,
        };
      }
      return {
        pid: options.pid ?? process.pid,
        startedAt,
        edge: edgeUrl,
        account: SANDBOX_ACCOUNT,
        regions: endpoints,
        ...(global?.china ? { china: global.china } : {}),
        ...(global ? { hostedZoneId: global.hostedZoneId } : {}),
        dynamodb: { endpoint: engineEndpoint, pid: dynamoPid },
        persist,
        instanceId,
        faults: faults.list().map((f) => ({ region: f.region, fault: f.spec, since: f.since })),
      };
    };
    let writing: Promise<void> = Promise.resolve();
    const writeState = () => {
      const path = options.statePath;
      if (!path || stopping) return writing;
      writing = writing
        .then(() => writeSandboxState(buildState(), path))
        .catch((e: Error) => onError(e, 'writing sandbox.json'));
      return writing;
    };

    const checkRegion = (key: string) => {
      if (!regions.has(key)) {
        throw new UserError(
          `no region "${key}" in the running sandbox (regions: ${[...regions.keys()].join(', ')})`,
          {
            hint: 'run: chatctl sandbox status',
          },
        );
      }
    };

    const publicRegion = (key: string): SandboxRegion => {
      const region = regions.get(key);
      if (!region) throw new Error(`no region ${key}`);
      return {
        key,
        awsRegion: region.spec.awsRegion,
        spec: region.spec,
        websocketUrl: region.gateway.websocketUrl,
        managementUrl: region.gateway.managementUrl,
        healthUrl: region.gateway.healthUrl,
        gatewayPort: region.gateway.port,
        get config() {
          return regions.get(key)?.config ?? region.config;
        },
        get app() {
          return regions.get(key)?.app ?? region.app;
        },
        connectionCount: () => region.gateway.connectionCount(),
      };
    };

    let changing: Promise<unknown> = Promise.resolve();
    const serial = <T>(work: () => Promise<T>): Promise<T> => {
      const next = changing.then(work, work);
      changing = next.catch(() => {});
      return next;
    };

    const addRegion = (specIn: RegionSpec) =>
      serial(async () => {
        const spec = { ...specIn };
        if (regions.has(spec.key)) {
          throw new UserError(`region "${spec.key}" is already running in the sandbox`);
        }
        const clash = [...regions.values()].find((r) => r.spec.awsRegion === spec.awsRegion);
        if (clash) {
          throw new UserError(`AWS region ${spec.awsRegion} is already used by "${clash.spec.key}"`);
        }
        const source = regions.has(topology.homeRegion) ? topology.homeRegion : [...regions.keys()][0];
        const region = await bringUpRegion(spec, source);
        regions.set(spec.key, region);
        topology = { ...topology, regions: [...topology.regions.filter((r) => r.key !== spec.key), spec] };
        await reconfigureAll();
        await global?.addRegion(info(region));
        await writeState();
        return publicRegion(spec.key);
      });

    const removeRegion = (key: string) =>
      serial(async () => {
        checkRegion(key);
        if (regions.size === 1) {
          throw new UserError('cannot remove the last region of the sandbox', {
            hint: 'stop it instead: chatctl sandbox down',
          });
        }
        const region = regions.get(key)!;
        await global?.removeRegion(key);
        regions.delete(key);
        faults.clearRegion(key);
        local.unroute(region.gateway.port);
        await region.gateway.stop();
        await rep.removeRegion(key);
        await engine(region.spec.awsRegion)
          .send(new DeleteTableCommand({ TableName: tableName }))
          .catch((e: Error) => onError(e, `deleting the table of ${key}`));
        topology = { ...topology, regions: topology.regions.filter((r) => r.key !== key) };
        await reconfigureAll();
        await writeState();
      });

    const sandboxFaults: SandboxFaults = {
      inject(region, fault) {
        checkRegion(region);
        return faults.inject(region, typeof fault === 'string' ? parseFault(fault) : fault);
      },
      heal(region, kind) {
        checkRegion(region);
        return faults.heal(region, kind === undefined ? undefined : parseFaultKind(kind));
      },
      list: (region) => faults.list(region),
    };

    const stop = () => {
      stopping ??= (async () => {
        await changing;
        await writing;
        await stopAll();
      })();
      return stopping;
    };

    const control: ControlHandler = async (method, path, body) => {
      const input = (body ?? {}) as Record<string, unknown>;
      try {
        if (method === 'GET' && path === '/status') {
          return {
            status: 200,
            body: { state: buildState(), faults: faults.list(), replication: rep.stats },
          };
        }
        if (method === 'POST' && path === '/faults') {
          const fault = sandboxFaults.inject(String(input.region), String(input.fault));
          return { status: 200, body: { fault } };
        }
        if (method === 'POST' && path === '/heal') {
          const healed = sandboxFaults.heal(
            String(input.region),
            input.fault === undefined || input.fault === null ? undefined : String(input.fault),
          );
          return { status: 200, body: { healed } };
        }
        if (method === 'POST' && path === '/regions') {
          const region = await addRegion(input.spec as RegionSpec);
          return { status: 200, body: { region: buildState().regions[region.key], key: region.key } };
        }
        if (method === 'DELETE' && path.startsWith('/regions/')) {
          await removeRegion(decodeURIComponent(path.slice('/regions/'.length)));
          return { status: 200, body: { removed: true } };
        }
        if (method === 'POST' && path === '/stop') {
          setImmediate(() => (options.onStopRequest ? options.onStopRequest() : void stop()));
          return { status: 202, body: { stopping: true } };
        }
        return { status: 404, body: { error: `no control route ${method} ${path}` } };
      } catch (error) {
        const e = error as Error & { hint?: string };
        return {
          status: e.name === 'UserError' ? 400 : 500,
          body: { error: e.message, ...(e.hint ? { hint: e.hint } : {}) },
        };
      }
    };
    edge.setControl(control);
    await writeState();

    const sandbox: Sandbox = {
      get state() {
        return buildState();
      },
      edge: edgeUrl,
      get topology() {
        return topology;
      },
      instanceId,
      tableName,
      get regions() {
        return new Map([...regions.keys()].map((key) => [key, publicRegion(key)]));
      },
      global,
      faults: sandboxFaults,
      replication: {
        pause: (region) => {
          checkRegion(region);
          rep.pause(region);
        },
        resume: (region) => {
          checkRegion(region);
          rep.resume(region);
        },
        isPaused: (region) => rep.isPaused(region),
        settle: (timeoutMs) => rep.waitIdle(timeoutMs),
        waitIdle: (timeoutMs) => rep.waitIdle(timeoutMs),
        get stats() {
          return rep.stats;
        },
        lagMs,
      },
      requestHandler: local.requestHandler,
      addRegion,
      removeRegion,
      stop,
    };
    return sandbox;
  } catch (error) {
    await stopAll().catch(() => {});
    if (!dynamo) await dynamoStarting?.then((d) => d.stop()).catch(() => {});
    throw error;
  }
}

/** Copies every item of the chat table in one region into a new replica (through replication's apply). */
async function copyItems(
  source: EngineClient,
  replicator: Replicator,
  to: string,
  tableName: string,
): Promise<void> {
  let start: Record<string, unknown> | undefined;
  do {
    const page: {
      Items?: Record<string, Record<string, unknown>>[];
      LastEvaluatedKey?: Record<string, unknown>;
    } = await source.call('DynamoDB_20120810.Scan', {
      TableName: tableName,
      ConsistentRead: true,
      ...(start ? { ExclusiveStartKey: start } : {}),
    });
    await replicator.copyInto(to, page.Items ?? [], [
      CHAT_TABLE_SHAPE.partitionKey,
      CHAT_TABLE_SHAPE.sortKey,
    ]);
    start = page.LastEvaluatedKey;
  } while (start);
}
