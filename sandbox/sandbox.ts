/**
 * The sandbox: every region of a topology on this machine, in one Node process plus one DynamoDB Local JVM.
 * A Sandbox has a lifecycle: `start()` brings up the engine, the edge (every service of
 * services/registry.ts), each region (its table, its replication, its gateway and handlers) and the
 * services' own parts; `ready()` waits until every region's gateway answers; `addRegion` / `removeRegion`
 * change a running sandbox; `stop()` ends everything it started. The CLI only wraps it.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CHAT_TABLE_SHAPE } from '../core/datamodel.js';
import { UserError } from '../core/errors.js';
import { names } from '../core/names.js';
import type { RegionSpec, Topology } from '../core/topology.js';
import type { AwsRequestHandler } from '../runtime/app.js';
import { engineClient, ensureChatTable } from './chat-table.js';
import { controlHandler } from './control.js';
import type { StatusReply } from './control-api.js';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local.js';
import { type Edge, startEdge } from './edge.js';
import { EngineClient } from './engine-client.js';
import { FaultRegistry, parseFault, parseFaultKind } from './faults.js';
import { lagFor } from './latency.js';
import { LocalTransport } from './local-transport.js';
import {
  defaultOnError,
  type SandboxFaults,
  type SandboxOptions,
  type SandboxReplication,
} from './options.js';
import { type AppBuilder, RunningRegion, type SandboxRegion } from './region.js';
import { Replicator } from './replication/replicator.js';
import { defaultChatAppFactory } from './runtime-host.js';
import { SERVICES } from './services/registry.js';
import type { SandboxService, ServiceContext, ServiceFactory } from './services/service.js';
import {
  removeSandboxState,
  SANDBOX_ACCOUNT,
  type SandboxRegionEndpoints,
  type SandboxState,
  stateDir,
  writeSandboxState,
} from './state.js';
import { SandboxSurge } from './surge.js';

type Phase = 'new' | 'starting' | 'running' | 'stopping';

/** What start() brings up, held for the running sandbox. */
interface Running {
  readonly engineEndpoint: string;
  readonly edge: Edge;
  readonly replicator: Replicator;
  readonly builder: AppBuilder;
  readonly startedAt: string;
}

export class Sandbox {
  readonly instanceId: string;
  readonly tableName: string;
  readonly faults: SandboxFaults;
  readonly replication: SandboxReplication;
  /**
   * An SDK `requestHandler` that reaches the edge and the gateways in-process, as the handlers' clients do
   * (see local-transport.ts); clients elsewhere use the ports.
   */
  readonly requestHandler: AwsRequestHandler;
  /** The surge controller run in-process (surge.ts) and the handler counters it reads. */
  readonly surge = new SandboxSurge();

  private currentTopology: Topology;
  private phase: Phase = 'new';
  private run: Running | undefined;
  private dynamo: DynamoDbLocal | undefined;
  private stopping: Promise<void> | undefined;
  private readonly onError: (error: Error, where: string) => void;
  private readonly faultRegistry = new FaultRegistry();
  private readonly regionMap = new Map<string, RunningRegion>();
  private readonly services = new Map<string, SandboxService>();
  private readonly engineClients = new Map<string, DynamoDBClient>();
  private readonly invocations = new Set<Promise<unknown>>();
  private readonly local = new LocalTransport();
  private changing: Promise<unknown> = Promise.resolve();
  private writing: Promise<void> = Promise.resolve();
  private nextGatewayPort = 0;

  constructor(
    topology: Topology,
    private readonly options: SandboxOptions = {},
  ) {
    this.currentTopology = structuredClone(topology);
    this.onError = options.onError ?? defaultOnError;
    this.tableName = names.table(topology);
    this.instanceId =
      options.instanceId ?? (options.dynamoEndpoint ? `sbx${randomBytes(6).toString('hex')}` : 'chatctl');
    if (!/^[A-Za-z0-9]{1,64}$/.test(this.instanceId)) {
      throw new UserError(`instanceId "${this.instanceId}" must be 1-64 letters or digits`);
    }
    this.requestHandler = this.local.requestHandler;
    this.faults = this.faultsView();
    this.replication = this.replicationView();
  }

  // ---- lifecycle ----

  /** Brings everything up; on a failure, stops what had started and throws. */
  async start(): Promise<this> {
    if (this.phase !== 'new') throw new Error('a Sandbox starts once');
    this.phase = 'starting';
    // The JVM starts while the handlers' and the services' modules load.
    const dynamoStarting = this.options.dynamoEndpoint ? undefined : startDynamoDbLocal(this.dynamoOptions());
    const appFactory = this.options.createApp
      ? Promise.resolve(this.options.createApp)
      : defaultChatAppFactory();
    const factories = Promise.all(
      SERVICES.filter((s) => this.options.globalServices !== false || !s.global).map((s) => s.load()),
    );
    for (const work of [dynamoStarting, appFactory, factories]) work?.catch(() => {});
    try {
      if (dynamoStarting) this.dynamo = await dynamoStarting;
      const engineEndpoint = this.options.dynamoEndpoint ?? (this.dynamo as DynamoDbLocal).endpoint;
      const edge = await this.startEdge();
      const replicator = this.startReplication(engineEndpoint);
      const deps = this.options.transport === 'http' ? {} : { requestHandler: this.local.requestHandler };
      // Every handler call is counted per route, for the surge controller.
      const builder: AppBuilder = {
        createApp: this.surge.counting(await appFactory),
        deps,
        edgeUrl: edge.url,
      };
      this.run = { engineEndpoint, edge, replicator, builder, startedAt: new Date().toISOString() };
      this.nextGatewayPort = edge.port + 1;
      // Every region's table and replication first, then its gateway and handlers.
      for (const spec of this.currentTopology.regions) await this.prepareTable(spec);
      for (const spec of this.currentTopology.regions)
        await this.startRegion(spec, this.currentTopology.regions);
      await this.startServices(await factories);
      this.startSurge(edge.url);
      this.phase = 'running';
      await this.writeState();
      return this;
    } catch (error) {
      await this.stopAll().catch(() => {});
      if (!this.dynamo) await dynamoStarting?.then((d) => d.stop()).catch(() => {});
      throw error;
    }
  }

  /** Resolves once every region's gateway answers GET /health through its port, as outside clients reach it. */
  async ready(timeoutMs = 10_000): Promise<void> {
    await Promise.all(
      [...this.regionMap.values()].map(async (region) => {
        const response = await fetch(region.healthUrl, { signal: AbortSignal.timeout(timeoutMs) });
        await response.arrayBuffer();
      }),
    );
  }

  get running(): boolean {
    return this.phase === 'running';
  }

  addRegion(specIn: RegionSpec): Promise<SandboxRegion & { endpoints(): SandboxRegionEndpoints }> {
    return this.serial(async () => {
      const spec = { ...specIn };
      if (this.regionMap.has(spec.key)) {
        throw new UserError(`region "${spec.key}" is already running in the sandbox`);
      }
      const clash = [...this.regionMap.values()].find((r) => r.awsRegion === spec.awsRegion);
      if (clash) throw new UserError(`AWS region ${spec.awsRegion} is already used by "${clash.key}"`);
      const topology = this.currentTopology;
      const source = this.regionMap.has(topology.homeRegion)
        ? topology.homeRegion
        : [...this.regionMap.keys()][0];
      const all = [...[...this.regionMap.values()].map((r) => r.spec), spec];
      await this.prepareTable(spec, source);
      const region = await this.startRegion(spec, all);
      this.currentTopology = {
        ...topology,
        regions: [...topology.regions.filter((r) => r.key !== spec.key), spec],
      };
      await this.reconfigure(spec.key);
      for (const service of this.services.values()) await service.addRegion?.(region.info());
      await this.writeState();
      return region;
    });
  }

  removeRegion(key: string): Promise<void> {
    return this.serial(async () => {
      const region = this.requireRegion(key);
      if (this.regionMap.size === 1) {
        throw new UserError('cannot remove the last region of the sandbox', {
          hint: 'stop it instead: chatctl sandbox down',
        });
      }
      const run = this.started();
      for (const service of this.services.values()) await service.removeRegion?.(key);
      this.regionMap.delete(key);
      this.faultRegistry.clearRegion(key);
      this.local.unroute(region.gatewayPort);
      await region.gateway.stop();
      await run.replicator.removeRegion(key);
      await this.engine(region.awsRegion)
        .send(new DeleteTableCommand({ TableName: this.tableName }))
        .catch((e: Error) => this.onError(e, `deleting the table of ${key}`));
      this.currentTopology = {
        ...this.currentTopology,
        regions: this.currentTopology.regions.filter((r) => r.key !== key),
      };
      await this.reconfigure();
      await this.writeState();
    });
  }

  /** Stops everything it started (after any region change and state write in progress); idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.changing;
      await this.writing;
      this.phase = 'stopping';
      await this.stopAll();
    })();
    return this.stopping;
  }

  // ---- views ----

  get state(): SandboxState {
    const run = this.started();
    const endpoints: Record<string, SandboxRegionEndpoints> = {};
    for (const region of this.regionMap.values()) endpoints[region.key] = region.endpoints();
    const fields = Object.assign({}, ...[...this.services.values()].map((s) => s.stateFields?.() ?? {}));
    return {
      pid: this.options.pid ?? process.pid,
      startedAt: run.startedAt,
      edge: run.edge.url,
      account: SANDBOX_ACCOUNT,
      regions: endpoints,
      ...fields,
      dynamodb: { endpoint: run.engineEndpoint, pid: this.dynamo?.pid ?? -1 },
      persist: Boolean(this.options.persist),
      instanceId: this.instanceId,
      faults: this.faultRegistry.list().map((f) => ({ region: f.region, fault: f.spec, since: f.since })),
    };
  }

  /** The control API's status reply. */
  status(): StatusReply {
    return {
      state: this.state,
      faults: this.faultRegistry.list(),
      replication: this.started().replicator.stats,
    };
  }

  /** The AWS-compatible endpoint. */
  get edge(): string {
    return this.started().edge.url;
  }

  get topology(): Topology {
    return this.currentTopology;
  }

  get regions(): ReadonlyMap<string, SandboxRegion> {
    return new Map(this.regionMap);
  }

  /** A running service by its SigV4 signing name (undefined when it is not running). */
  service(name: string): SandboxService | undefined {
    return this.services.get(name);
  }

  // ---- start-up steps ----

  private dynamoOptions() {
    return this.options.persist ? { dataDir: this.options.dataDir ?? join(stateDir(), 'data') } : {};
  }

  private async startEdge(): Promise<Edge> {
    const port = this.options.port ?? this.currentTopology.sandbox.port;
    try {
      const edge = await startEdge({
        port,
        service: (name) => this.services.get(name),
        control: controlHandler(this, () =>
          this.options.onStopRequest ? this.options.onStopRequest() : void this.stop(),
        ),
      });
      this.local.route(edge.port, edge.dispatch);
      return edge;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new UserError(`port ${port} is already in use, so the sandbox's edge cannot listen there`, {
          hint: 'pick another with --port N (or stop what uses it)',
        });
      }
      throw error;
    }
  }

  private startReplication(engineEndpoint: string): Replicator {
    const faults = this.faultRegistry;
    const replicator = new Replicator({
      endpoint: engineEndpoint,
      instanceId: this.instanceId,
      tableName: this.tableName,
      lagMs: (from, to) => this.lagMs(from, to),
      extraDelayMs: (region) => faults.latencyMs(region),
      faultPaused: (region) => faults.has(region, 'replication-pause'),
      pollIntervalMs: this.options.pollIntervalMs,
      idlePollIntervalMs: this.options.idlePollIntervalMs,
      onError: this.onError,
    });
    faults.onChange((region) => {
      if (faults.has(region, 'gateway-down')) this.regionMap.get(region)?.gateway.dropAll();
      replicator.pumpAll();
      void this.writeState();
    });
    return replicator;
  }

  /** The region's table (created unless it exists) and its replication; a new region copies `copyFrom`'s items. */
  private async prepareTable(spec: RegionSpec, copyFrom?: string): Promise<void> {
    const run = this.started();
    const created = await ensureChatTable(this.engine(spec.awsRegion), this.tableName);
    await run.replicator.addRegion(spec.key, spec.awsRegion, { fromStart: created });
    const source = copyFrom ? this.regionMap.get(copyFrom) : undefined;
    if (source) {
      const raw = new EngineClient(run.engineEndpoint, this.instanceId, source.awsRegion);
      await copyItems(raw, run.replicator, spec.key, this.tableName);
    }
  }

  private async startRegion(spec: RegionSpec, all: readonly RegionSpec[]): Promise<RunningRegion> {
    const run = this.started();
    const faults = this.faultRegistry;
    const region = await RunningRegion.start(
      this.currentTopology,
      spec,
      all,
      run.builder,
      {
        account: SANDBOX_ACCOUNT,
        idleTimeoutMs: this.options.idleTimeoutMs,
        maxConnectionMs: this.options.maxConnectionMs,
        isDown: () => faults.has(spec.key, 'gateway-down'),
        delayMs: () => faults.latencyMs(spec.key),
        onError: this.onError,
        // As each region's API Gateway holds them: its own names and the global chat.<domain>.
        domainNames: [
          names.regionalDomain(this.currentTopology, spec.key),
          names.regionalHealthDomain(this.currentTopology, spec.key),
          names.chatRecord(this.currentTopology),
        ],
      },
      this.gatewayPorts(),
    );
    this.local.route(region.gatewayPort, region.gateway.dispatch);
    this.regionMap.set(spec.key, region);
    return region;
  }

  /** 'auto' with a fixed edge port: the next 20 ports after the last one tried; else any free port. */
  private *gatewayPorts(): Generator<number> {
    const fixed = (this.options.port ?? this.currentTopology.sandbox.port) !== 0;
    if ((this.options.gatewayPorts ?? 'auto') !== 'auto' || !fixed) return;
    for (let attempt = 0; attempt < 20; attempt++) yield this.nextGatewayPort++;
  }

  /** Builds each service of the registry, tells it of every region, and starts it. */
  private async startServices(factories: readonly ServiceFactory[]): Promise<void> {
    const context = this.serviceContext();
    for (const create of factories) {
      const service = create(context);
      if (!service) continue;
      this.services.set(service.name, service);
      for (const region of this.regionMap.values()) await service.addRegion?.(region.info());
      await service.start?.();
    }
  }

  private serviceContext(): ServiceContext {
    const run = this.started();
    const faults = this.faultRegistry;
    const topology = this.currentTopology;
    return {
      topology: () => this.currentTopology,
      account: SANDBOX_ACCOUNT,
      tableName: this.tableName,
      engine: { endpoint: run.engineEndpoint, instanceId: this.instanceId },
      regions: () => [...this.regionMap.values()].map((r) => Object.assign(r.info(), { app: r.app })),
      faultActive: (region, kind) => faults.has(region, kind),
      latencyFaultMs: (region) => faults.latencyMs(region),
      lagMs: (from, to) => this.lagMs(from, to),
      noteWrite: (awsRegion) => run.replicator.noteWrite(awsRegion),
      track: (work) => {
        this.invocations.add(work);
        void work.finally(() => this.invocations.delete(work));
      },
      healthCheckIntervalMs:
        this.options.healthCheckIntervalMs ?? topology.sandbox.healthCheckIntervalSeconds * 1000,
      failureThreshold: this.options.failureThreshold ?? topology.sandbox.failureThreshold,
      lambdaConcurrency: this.options.lambdaConcurrency,
      onError: this.onError,
    };
  }

  private startSurge(edgeUrl: string): void {
    const surge = this.options.surge;
    if (surge === false) return;
    this.surge.start({
      topology: () => this.currentTopology,
      regions: () => [...this.regionMap.values()].map((r) => r.spec),
      tableName: this.tableName,
      edgeUrl,
      requestHandler: this.local.requestHandler,
      intervalMs: surge?.intervalMs ?? 1000,
      coolDownMs: surge?.coolDownMs ?? 10_000,
      onError: this.onError,
    });
  }

  // ---- helpers ----

  private started(): Running {
    if (!this.run) throw new Error('the sandbox has not started');
    return this.run;
  }

  private engine(awsRegion: string): DynamoDBClient {
    let client = this.engineClients.get(awsRegion);
    if (!client) {
      client = engineClient(this.started().engineEndpoint, this.instanceId, awsRegion);
      this.engineClients.set(awsRegion, client);
    }
    return client;
  }

  private lagMs(from: string, to: string): number {
    const specOf = (key: string) =>
      this.regionMap.get(key)?.spec ?? this.currentTopology.regions.find((r) => r.key === key);
    const a = specOf(from);
    const b = specOf(to);
    return a && b ? lagFor(this.options.lag, a, b) : 100;
  }

  /** Rebuilds the handlers of every region (but `except`) for the current region set. */
  private async reconfigure(except?: string): Promise<void> {
    const all = [...this.regionMap.values()].map((r) => r.spec);
    for (const region of this.regionMap.values()) {
      if (region.key !== except) await region.reconfigure(this.currentTopology, all, this.started().builder);
    }
  }

  private requireRegion(key: string): RunningRegion {
    const region = this.regionMap.get(key);
    if (!region) {
      throw new UserError(
        `no region "${key}" in the running sandbox (regions: ${[...this.regionMap.keys()].join(', ')})`,
        { hint: 'run: chatctl sandbox status' },
      );
    }
    return region;
  }

  /** Region changes run one at a time. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.changing.then(work, work);
    this.changing = next.catch(() => {});
    return next;
  }

  private writeState(): Promise<void> {
    const path = this.options.statePath;
    if (!path || this.phase !== 'running' || this.stopping) return this.writing;
    this.writing = this.writing
      .then(() => writeSandboxState(this.state, path))
      .catch((e: Error) => this.onError(e, 'writing sandbox.json'));
    return this.writing;
  }

  private faultsView(): SandboxFaults {
    const faults = this.faultRegistry;
    return {
      inject: (region, fault) => {
        this.requireRegion(region);
        return faults.inject(region, typeof fault === 'string' ? parseFault(fault) : fault);
      },
      heal: (region, kind) => {
        this.requireRegion(region);
        return faults.heal(region, kind === undefined ? undefined : parseFaultKind(kind));
      },
      list: (region) => faults.list(region),
    };
  }

  private replicationView(): SandboxReplication {
    const replicator = () => this.started().replicator;
    return {
      pause: (region) => {
        this.requireRegion(region);
        replicator().pause(region);
      },
      resume: (region) => {
        this.requireRegion(region);
        replicator().resume(region);
      },
      isPaused: (region) => replicator().isPaused(region),
      settle: (timeoutMs) => replicator().waitIdle(timeoutMs),
      waitIdle: (timeoutMs) => replicator().waitIdle(timeoutMs),
      get stats() {
        return replicator().stats;
      },
      lagMs: (from, to) => this.lagMs(from, to),
    };
  }

  /** Services (last started first), gateways, the work still running, replication, the edge, the engine. */
  private async stopAll(): Promise<void> {
    const onError = this.onError;
    this.surge.stop();
    for (const service of [...this.services.values()].reverse()) {
      await service.stop?.().catch((e: Error) => onError(e, `stopping ${service.name}`));
    }
    await Promise.all(
      [...this.regionMap.values()].map((r) =>
        r.gateway.stop().catch((e: Error) => onError(e, `stopping ${r.key}`)),
      ),
    );
    await Promise.race([
      Promise.allSettled([...this.invocations]),
      new Promise((resolve) => setTimeout(resolve, 3000)),
    ]);
    await this.run?.replicator.stop().catch((e: Error) => onError(e, 'stopping replication'));
    for (const client of this.engineClients.values()) client.destroy();
    await this.run?.edge.stop().catch((e: Error) => onError(e, 'stopping the edge'));
    await this.dynamo?.stop();
    if (this.options.statePath) await removeSandboxState(this.options.statePath);
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
