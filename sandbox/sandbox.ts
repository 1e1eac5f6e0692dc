/**
 * Over 400 lines (about 510) because its lifecycle steps and the getters the CLI and tests read stay together.
 * The Sandbox: one class owning the lifecycle (docs/architecture.md, The Sandbox lifecycle): start, region
 * changes, stop. What it wires lives in modules of its own: options.ts, region.ts, ports.ts, access.ts,
 * sandbox-edge.ts (the edge with the console and the control API), state-file.ts (sandbox.json),
 * services/context.ts (what the services get), the services themselves (services/registry.ts: the canary
 * and the surge controller among them) and replication/.
 */
import { UserError } from '../core/errors.js';
import { names } from '../core/names.js';
import type { RegionSpec, Topology } from '../core/topology.js';
import type { AwsRequestHandler } from '../runtime/app.js';
import { type AccessPolicy, accessPolicy, newControlSecret } from './access.js';
import { ChatTables } from './chat-table.js';
import { ConsoleDrills } from './console/drills.js';
import { CONSOLE_PAGE_PATH, CONTROL_PREFIX } from './control-api.js';
import type { ControlledSandbox } from './controlled.js';
import type { DynamoDbLocal } from './dynamodb-local.js';
import type { Edge } from './edge.js';
import { EmfCollector } from './emf-metrics.js';
import { startSandboxEngine } from './engine-start.js';
import type { EngineWatch } from './engine-watch.js';
import { FaultRegistry } from './faults.js';
import { waitForAnswers } from './http.js';
import { RegionLanes } from './lanes.js';
import { lagBetween } from './latency.js';
import { LocalTransport } from './local-transport.js';
import { logOptionsOf, openSandboxLog, type SandboxLog, type SandboxLogEvent } from './log.js';
import {
  defaultOnError,
  dynamoOptionsOf,
  faultsView,
  instanceIdOf,
  replicationView,
  SANDBOX_LEVEL_CACHE_MS,
  type SandboxFaults,
  type SandboxOptions,
  type SandboxReplication,
} from './options.js';
import { type PortPlan, planPorts } from './ports.js';
import {
  type AppBuilder,
  RunningRegion,
  refuseClash,
  requireRegion,
  type SandboxRegion,
  withoutRegion,
  withRegion,
} from './region.js';
import type { Replicator } from './replication/replicator.js';
import { sandboxReplicator } from './replication/sandbox-replicator.js';
import { type ChatAppFactory, defaultChatAppFactory } from './runtime-host.js';
import { startSandboxEdge } from './sandbox-edge.js';
import { startSandboxServices } from './sandbox-services.js';
import { runningService, type ServiceDefinition } from './services/definition.js';
import { loadServices, optionsSlice, SERVICES } from './services/registry.js';
import type { SandboxService } from './services/service.js';
import { SANDBOX_ACCOUNT, type SandboxRegionEndpoints, type SandboxState } from './state.js';
import { StateFile, sandboxState } from './state-file.js';
import { type SignaturePolicy, signaturePolicy } from './wire/sigv4.js';

type Phase = 'new' | 'starting' | 'running' | 'stopping';

/** What start() brings up, held for the running sandbox. */
interface Running {
  readonly engineEndpoint: string;
  readonly tables: ChatTables;
  readonly edge: Edge;
  readonly replicator: Replicator;
  readonly builder: AppBuilder;
  readonly startedAt: string;
}

export class Sandbox implements ControlledSandbox {
  readonly instanceId: string;
  readonly tableName: string;
  readonly faults: SandboxFaults;
  readonly replication: SandboxReplication;
  /** An SDK `requestHandler` reaching the edge and gateways in-process, as the handlers' clients do. */
  readonly requestHandler: AwsRequestHandler;
  /** The address every listener binds (default 127.0.0.1). */
  readonly host: string;
  /** The per-sandbox secret the control API asks for (sandbox.json's controlSecret). */
  readonly controlSecret: string;
  /** The drill the console started, and the drills hook it lists and starts them through. */
  readonly drills: ConsoleDrills;

  private currentTopology: Topology;
  private phase: Phase = 'new';
  private run: Running | undefined;
  private engine: EngineWatch | undefined;
  /** Why the sandbox stopped on its own (its engine died for good), when it did. */
  private failureMessage: string | undefined;
  private stopping: Promise<void> | undefined;
  private readonly onError: (error: Error, where: string) => void;
  private readonly faultRegistry = new FaultRegistry();
  private readonly regionMap = new Map<string, RunningRegion>();
  private readonly services = new Map<string, SandboxService>();
  private readonly invocations = new Set<Promise<unknown>>();
  private readonly local = new LocalTransport();
  private readonly emf = new EmfCollector();
  /** Every region's handler counters and lanes (the surge controller and CloudWatch read them). */
  readonly lanes = new RegionLanes(() => this.currentTopology);
  private changing: Promise<unknown> = Promise.resolve();
  /** The sandbox log (options.logPath); writes nothing without one. */
  private log: SandboxLog | undefined;
  private readonly writeLog = (event: SandboxLogEvent) => this.log?.write(event);
  private readonly stateFile: StateFile;
  private readonly signatures: SignaturePolicy;
  private readonly ports: PortPlan;
  /** The next region's slot in the port plan (regions added later come after the China proxy and DNS). */
  private regionSlots = 0;

  constructor(
    topology: Topology,
    private readonly options: SandboxOptions = {},
  ) {
    // Every service's options are checked now, before anything starts.
    for (const definition of SERVICES) optionsSlice(definition, options);
    this.currentTopology = structuredClone(topology);
    this.onError = options.onError ?? defaultOnError;
    this.tableName = names.table(topology);
    this.instanceId = instanceIdOf(options);
    this.host = options.host ?? '127.0.0.1';
    this.controlSecret = options.controlSecret ?? newControlSecret();
    const keys = (topology.sandbox.keys ?? []).map((k) => [k.accessKeyId, k.secretAccessKey]);
    this.signatures = signaturePolicy(options.verifySignatures ?? false, Object.fromEntries(keys));
    this.ports = planPorts(options.port ?? topology.sandbox.port, topology.regions.length);
    this.requestHandler = this.local.requestHandler;
    this.stateFile = new StateFile(options.statePath, this.onError);
    const requireRegion = (key: string) => void this.requireRegion(key);
    this.faults = faultsView(this.faultRegistry, requireRegion, this.writeLog);
    this.replication = replicationView(() => this.started().replicator, requireRegion, this.lagMs);
    this.drills = new ConsoleDrills(options.drills, () => ({
      topology: this.currentTopology,
      state: this.state,
    }));
  }

  /** Brings everything up; on a failure, stops what had started and throws. */
  async start(): Promise<this> {
    if (this.phase !== 'new') throw new Error('a Sandbox starts once');
    this.phase = 'starting';
    // The JVM starts while the handlers' and the services' modules load.
    const dynamoStarting = this.options.dynamoEndpoint ? undefined : this.startEngine();
    const appFactory = this.options.createApp
      ? Promise.resolve(this.options.createApp)
      : defaultChatAppFactory();
    const factories = loadServices({ global: this.options.globalServices !== false });
    for (const work of [dynamoStarting, appFactory, factories]) work?.catch(() => {});
    try {
      const { logPath } = this.options;
      if (logPath)
        this.log = openSandboxLog(logPath, logOptionsOf(this.options, this.currentTopology.sandbox.log));
      const engineEndpoint =
        this.options.dynamoEndpoint ?? (await (dynamoStarting as Promise<DynamoDbLocal>)).endpoint;
      const edge = await this.startEdge();
      const replicator = this.startReplication(engineEndpoint);
      const builder = this.appBuilder(await appFactory, edge.url);
      const tables = new ChatTables(engineEndpoint, this.instanceId, this.tableName);
      this.run = { engineEndpoint, tables, edge, replicator, builder, startedAt: new Date().toISOString() };
      await this.startRegions();
      await startSandboxServices(
        await factories,
        {
          topology: () => this.currentTopology,
          regions: this.regionMap,
          engine: { endpoint: engineEndpoint, instanceId: this.instanceId },
          faults: this.faultRegistry,
          replicator,
          invocations: this.invocations,
          listeners: { host: this.host, ports: { china: this.ports.china, dns: this.ports.dns } },
          lanes: this.lanes,
          emf: this.emf,
          edge: { url: edge.url, requestHandler: this.local.requestHandler },
          options: this.options,
          log: this.writeLog,
          onError: this.onError,
        },
        this.services,
      );
      this.phase = 'running';
      await this.writeState();
      this.writeLog({ kind: 'sandbox', message: `started: ${this.regionMap.size} regions at ${edge.url}` });
      return this;
    } catch (error) {
      await this.stopAll().catch(() => {});
      // An engine still starting is stopped once it has (stopAll found none yet).
      await dynamoStarting?.then(() => this.engine?.stop()).catch(() => {});
      throw error;
    }
  }

  /** Resolves once every region's gateway answers GET /health through its port, as outside clients reach it. */
  ready(timeoutMs = 10_000): Promise<void> {
    return waitForAnswers(
      [...this.regionMap.values()].map((r) => r.healthUrl),
      timeoutMs,
    );
  }

  get running(): boolean {
    return this.phase === 'running';
  }

  /** Why the sandbox stopped on its own (DynamoDB Local died for good), once it has; undefined otherwise. */
  get failure(): string | undefined {
    return this.failureMessage;
  }

  addRegion(specIn: RegionSpec): Promise<SandboxRegion & { endpoints(): SandboxRegionEndpoints }> {
    return this.serial(async () => {
      const spec = { ...specIn };
      refuseClash(this.regionMap.values(), spec);
      const topology = this.currentTopology;
      const source = this.regionMap.has(topology.homeRegion)
        ? topology.homeRegion
        : [...this.regionMap.keys()][0];
      const all = [...[...this.regionMap.values()].map((r) => r.spec), spec];
      await this.prepareTable(spec, source);
      const region = await this.startRegion(spec, all);
      this.currentTopology = withRegion(topology, spec);
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
      await run.tables
        .remove(region.awsRegion)
        .catch((e: Error) => this.onError(e, `deleting the table of ${key}`));
      this.currentTopology = withoutRegion(this.currentTopology, key);
      await this.reconfigure();
      await this.writeState();
    });
  }

  /** Stops everything it started (after any region change and state write in progress); idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      // A drill started from the console puts back what it changed while everything still runs.
      await this.drills.stop();
      await this.changing;
      await this.stateFile.settled();
      this.phase = 'stopping';
      await this.stopAll();
    })();
    return this.stopping;
  }

  get state(): SandboxState {
    const run = this.started();
    return sandboxState({
      pid: this.options.pid ?? process.pid,
      startedAt: run.startedAt,
      edge: run.edge.url,
      console: this.consoleUrl,
      regions: this.regionMap.values(),
      services: this.services.values(),
      dynamodb: { endpoint: run.engineEndpoint, ...(this.engine?.status ?? { pid: -1 }) },
      persist: Boolean(this.options.persist),
      instanceId: this.instanceId,
      controlSecret: this.controlSecret,
      verifySignatures: this.signatures.verify,
      lagMs: this.lagMs,
      faults: this.faultRegistry,
      levelCacheMs: this.options.levelCacheMs ?? SANDBOX_LEVEL_CACHE_MS,
      topology: this.currentTopology,
      ...(this.options.origin ? { origin: this.options.origin } : {}),
    });
  }

  /** Writes the log lines still buffered (they are written within 200 ms anyway). */
  flushLog(): void {
    this.log?.flush();
  }

  /** The console's page (its URL, without the secret the CLI adds to it). */
  get consoleUrl(): string {
    return `${this.started().edge.url}${CONTROL_PREFIX}${CONSOLE_PAGE_PATH}`;
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

  /** A running service, typed by its definition (undefined when it is not running). */
  // biome-ignore lint/suspicious/noExplicitAny: any needs and options.
  service<H extends SandboxService>(definition: ServiceDefinition<H, any, any>): H | undefined;
  /** A running service by its name. */
  service(name: string): SandboxService | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: any needs and options.
  service(which: string | ServiceDefinition<SandboxService, any, any>): SandboxService | undefined {
    return typeof which === 'string' ? this.services.get(which) : runningService(this.services, which);
  }

  /** Who may talk to it (access.ts): its own console origin and any allowed, the control secret, SigV4. */
  get access(): AccessPolicy {
    return accessPolicy(
      this.run?.edge.port,
      this.options.allowedOrigins,
      this.controlSecret,
      this.signatures,
    );
  }

  /**
   * DynamoDB Local under watch (engine-watch.ts): restarted from disk with --persist, else fatal. The one the
   * caller started early (options.engine), else one started now.
   */
  private startEngine(): Promise<DynamoDbLocal> {
    const note = (message: string) => {
      this.writeLog({ kind: 'sandbox', message });
      this.onError(new Error(message), 'DynamoDB Local');
    };
    const starting =
      this.options.engine ??
      startSandboxEngine({
        ...dynamoOptionsOf(this.options),
        host: this.host,
        ...(this.options.statePath ? { statePath: this.options.statePath } : {}),
      });
    starting.attach({
      note,
      onChange: () => void this.writeState(),
      onFatal: (message) => {
        this.failureMessage = message;
        note(message);
        this.requestStop();
      },
    });
    this.engine = starting.watch;
    return starting.started;
  }

  /** The control API's stop request, and a fatal engine: the CLI exits its process there, else stop(). */
  private readonly requestStop = (): void => {
    if (this.options.onStopRequest) this.options.onStopRequest();
    else void this.stop();
  };

  private async startEdge(): Promise<Edge> {
    const edge = await startSandboxEdge({
      port: this.ports.edge,
      host: this.host,
      sandbox: this,
      services: this.services,
      access: () => this.access,
      requestStop: this.requestStop,
      regions: () => this.currentTopology.regions,
      ...(this.log ? { log: this.writeLog } : {}),
    });
    this.local.route(edge.port, edge.dispatch);
    return edge;
  }

  private startReplication(engineEndpoint: string): Replicator {
    const faults = this.faultRegistry;
    const replicator = sandboxReplicator({
      endpoint: engineEndpoint,
      instanceId: this.instanceId,
      tableName: this.tableName,
      lagMs: this.lagMs,
      faults,
      options: this.options,
      onError: this.onError,
      ...(this.log ? { log: this.writeLog } : {}),
    });
    faults.onChange((region) => {
      if (faults.has(region, 'gateway-down')) this.regionMap.get(region)?.gateway.dropAll();
      replicator.pumpAll();
      void this.writeState();
    });
    return replicator;
  }

  /** How every region's handlers are built: counted in their lanes, their metric lines and log kept. */
  private appBuilder(createApp: ChatAppFactory, edgeUrl: string): AppBuilder {
    const transport = this.options.transport === 'http' ? {} : { requestHandler: this.local.requestHandler };
    return {
      createApp: this.lanes.counting(createApp),
      // The handlers' EMF lines (the relay's errors) are published by CloudWatch each tick.
      deps: {
        ...transport,
        metrics: this.emf.sink,
        loadCacheMs: this.options.levelCacheMs ?? SANDBOX_LEVEL_CACHE_MS,
      },
      edgeUrl,
      ...(this.log ? { log: this.writeLog } : {}),
    };
  }

  /**
   * Every region's table (side by side: the engine serves them at once) and replication first, then its
   * gateway and handlers.
   */
  private async startRegions(): Promise<void> {
    const { tables, replicator } = this.started();
    const regions = this.currentTopology.regions;
    const created = await Promise.all(regions.map((spec) => tables.ensure(spec.awsRegion)));
    await replicator.addRegions(
      regions.map((spec, i) => ({ key: spec.key, awsRegion: spec.awsRegion, fromStart: created[i] })),
    );
    for (const spec of regions) await this.startRegion(spec, regions);
  }

  /** A region added while running: its table (created unless it exists), its replication, `copyFrom`'s items. */
  private async prepareTable(spec: RegionSpec, copyFrom?: string): Promise<void> {
    const { tables, replicator } = this.started();
    const created = await tables.ensure(spec.awsRegion);
    await replicator.addRegion(spec.key, spec.awsRegion, { fromStart: created });
    const source = copyFrom ? this.regionMap.get(copyFrom) : undefined;
    if (source) await tables.copyInto(source.awsRegion, replicator, spec.key);
  }

  private async startRegion(spec: RegionSpec, all: readonly RegionSpec[]): Promise<RunningRegion> {
    const { idleTimeoutMs, maxConnectionMs } = this.options;
    const region = await RunningRegion.start(this.currentTopology, spec, all, this.started().builder, {
      gateway: {
        account: SANDBOX_ACCOUNT,
        idleTimeoutMs,
        maxConnectionMs,
        onError: this.onError,
        host: this.host,
        access: () => this.access,
      },
      faults: this.faultRegistry,
      port: this.ports.region(this.regionSlots++),
    });
    this.local.route(region.gatewayPort, region.gateway.dispatch);
    this.regionMap.set(spec.key, region);
    return region;
  }

  private started(): Running {
    if (!this.run) throw new Error('the sandbox has not started');
    return this.run;
  }

  /** The configured lag between two running regions' keys. */
  private readonly lagMs = (from: string, to: string): number => {
    const specOf = (key: string) => this.currentTopology.regions.find((r) => r.key === key);
    const pipeline = this.currentTopology.sandbox.replicationDelayMs;
    return lagBetween(this.options.lag, specOf(from), specOf(to), pipeline);
  };

  /** Rebuilds the handlers of every region (but `except`) for the current region set. */
  private async reconfigure(except?: string): Promise<void> {
    const all = [...this.regionMap.values()].map((r) => r.spec);
    for (const region of this.regionMap.values()) {
      if (region.key !== except) await region.reconfigure(this.currentTopology, all, this.started().builder);
    }
  }

  private requireRegion(key: string): RunningRegion {
    return requireRegion(this.regionMap, key);
  }

  /** Region changes run one at a time. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.changing.then(work, work);
    this.changing = next.catch(() => {});
    return next;
  }

  private writeState(): Promise<void> {
    return this.stateFile.write(() => this.state, this.phase === 'running' && !this.stopping);
  }

  /** Services (last started first), gateways, the work still running, replication, the edge, the engine. */
  private async stopAll(): Promise<void> {
    const onError = this.onError;
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
    this.run?.tables.destroy();
    await this.run?.edge.stop().catch((e: Error) => onError(e, 'stopping the edge'));
    await this.engine?.stop();
    // Stopped by its engine's death: sandbox.json stays, saying why, for status and every command to tell.
    await this.stateFile.close(this.run ? () => this.state : undefined, this.failureMessage);
    this.log?.close('stopped');
  }
}
