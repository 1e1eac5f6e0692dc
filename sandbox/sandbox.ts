/**
 * The Sandbox: one class owning the lifecycle (docs/architecture.md, The Sandbox lifecycle). Over 400 lines
 * because its lifecycle steps stay together; every part it wires lives in a module of its own (options.ts,
 * region.ts, ports.ts, access.ts, services/context.ts, replication/).
 */
import { UserError } from '../core/errors.js';
import { names } from '../core/names.js';
import type { RegionSpec, Topology } from '../core/topology.js';
import type { AwsRequestHandler } from '../runtime/app.js';
import { type AccessPolicy, accessPolicy, newControlSecret } from './access.js';
import { SandboxCanary } from './canary.js';
import { ChatTables } from './chat-table.js';
import { ConsoleDrills } from './console/drills.js';
import { consoleRoutes } from './console/server.js';
import { controlHandler } from './control.js';
import { CONSOLE_PAGE_PATH, CONTROL_PREFIX } from './control-api.js';
import type { ControlledSandbox } from './controlled.js';
import type { DynamoDbLocal } from './dynamodb-local.js';
import { type Edge, startEdge } from './edge.js';
import { EmfCollector } from './emf-metrics.js';
import { startSandboxEngine } from './engine-start.js';
import type { EngineWatch } from './engine-watch.js';
import { FaultRegistry } from './faults.js';
import { waitForAnswers } from './http.js';
import { lagBetween, lagModel } from './latency.js';
import { LocalTransport } from './local-transport.js';
import {
  edgeRequestLogger,
  openSandboxLog,
  type SandboxLog,
  type SandboxLogEvent,
  type SandboxLogOptions,
} from './log.js';
import { sampleSandboxMetrics } from './metric-sources.js';
import {
  defaultOnError,
  dynamoOptionsOf,
  faultsView,
  filesDirOf,
  instanceIdOf,
  replicationCheckpointOf,
  replicationView,
  SANDBOX_LEVEL_CACHE_MS,
  type SandboxFaults,
  type SandboxOptions,
  type SandboxReplication,
} from './options.js';
import { listenOrExplain, type PortPlan, planPorts } from './ports.js';
import {
  type AppBuilder,
  RunningRegion,
  refuseClash,
  requireRegion,
  type SandboxRegion,
  withoutRegion,
  withRegion,
} from './region.js';
import { Replicator } from './replication/replicator.js';
import { isRoutineItem } from './routine.js';
import { defaultChatAppFactory } from './runtime-host.js';
import { SANDBOX_ALARM_PERIOD_SECONDS } from './services/cloudwatch/seed.js';
import { serviceContext } from './services/context.js';
import { runningService, type ServiceDefinition, type ServiceNeeds } from './services/definition.js';
import { EVENTS } from './services/events/definition.js';
import { LAMBDA } from './services/lambda/definition.js';
import { loadServices, startServices } from './services/registry.js';
import type { SandboxService } from './services/service.js';
import {
  removeSandboxState,
  SANDBOX_ACCOUNT,
  type SandboxRegionEndpoints,
  type SandboxState,
  writeSandboxState,
} from './state.js';
import { SandboxSurge } from './surge.js';
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
  /** The surge controller run in-process (surge.ts) and the handler counters it reads. */
  readonly surge = new SandboxSurge();
  /** The address every listener binds (default 127.0.0.1). */
  readonly host: string;
  /** The per-sandbox secret the control API asks for (sandbox.json's controlSecret). */
  readonly controlSecret: string;
  /** The chat canary of every region, when the `canary` option runs it (canary.ts). */
  canary: SandboxCanary | undefined;
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
  private changing: Promise<unknown> = Promise.resolve();
  /** The sandbox log (options.logPath); writes nothing without one. */
  private log: SandboxLog | undefined;
  private readonly writeLog = (event: SandboxLogEvent) => this.log?.write(event);
  private writing: Promise<void> = Promise.resolve();
  private readonly signatures: SignaturePolicy;
  private readonly ports: PortPlan;
  /** The next region's slot in the port plan (regions added later come after the China proxy and DNS). */
  private regionSlots = 0;

  constructor(
    topology: Topology,
    private readonly options: SandboxOptions = {},
  ) {
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
      if (this.options.logPath) this.log = openSandboxLog(this.options.logPath, this.logOptions());
      const engineEndpoint =
        this.options.dynamoEndpoint ?? (await (dynamoStarting as Promise<DynamoDbLocal>)).endpoint;
      const edge = await this.startEdge();
      const replicator = this.startReplication(engineEndpoint);
      const transport =
        this.options.transport === 'http' ? {} : { requestHandler: this.local.requestHandler };
      // The handlers' EMF lines (the relay's errors) are published by CloudWatch each tick.
      const deps = { ...transport, metrics: this.emf.sink, loadCacheMs: this.levelCacheMs };
      // Every handler call is counted per route, for the surge controller (and logged, given a log).
      const builder: AppBuilder = {
        createApp: this.surge.counting(await appFactory, () => this.currentTopology),
        deps,
        edgeUrl: edge.url,
        ...(this.log ? { log: this.writeLog } : {}),
      };
      const tables = new ChatTables(engineEndpoint, this.instanceId, this.tableName);
      this.run = { engineEndpoint, tables, edge, replicator, builder, startedAt: new Date().toISOString() };
      // Every region's table (side by side: the engine serves them at once) and replication first, then its
      // gateway and handlers.
      const regions = this.currentTopology.regions;
      const created = await Promise.all(regions.map((spec) => tables.ensure(spec.awsRegion)));
      await replicator.addRegions(
        regions.map((spec, i) => ({ key: spec.key, awsRegion: spec.awsRegion, fromStart: created[i] })),
      );
      for (const spec of regions) await this.startRegion(spec, regions);
      const regionInfos = [...this.regionMap.values()].map((r) => r.info());
      const context = serviceContext({
        topology: () => this.currentTopology,
        tableName: this.tableName,
        engine: { endpoint: engineEndpoint, instanceId: this.instanceId },
        regions: () => this.regionMap.values(),
        faults: this.faultRegistry,
        lagMs: this.lagMs,
        replicator,
        ...filesDirOf(this.options),
        invocations: this.invocations,
        options: this.options,
        host: this.host,
        ports: { china: this.ports.china, dns: this.ports.dns },
        sampleMetrics: () =>
          sampleSandboxMetrics({
            topology: () => this.currentTopology,
            regions: () =>
              [...this.regionMap.values()].map((r) => ({
                key: r.key,
                awsRegion: r.awsRegion,
                apiId: r.gateway.apiId,
                stage: 'prod',
              })),
            routes: (key) => this.surge.counters(key).sample(),
            replication: () => replicator.pairSamples(),
            canary: () => this.canary?.drain() ?? [],
            emf: () => this.emf.drain(),
            failedRelays: (key) => this.service(LAMBDA)?.failedEvents(key).length ?? 0,
          }),
        log: this.writeLog,
        onError: this.onError,
      });
      await startServices(await factories, context, regionInfos, this.services);
      this.startSurge(edge.url);
      this.startCanary();
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

  /** How long the handlers trust a load level they read. */
  private get levelCacheMs(): number {
    return this.options.levelCacheMs ?? SANDBOX_LEVEL_CACHE_MS;
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
      await this.writing;
      this.phase = 'stopping';
      await this.stopAll();
    })();
    return this.stopping;
  }

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
      console: this.consoleUrl,
      regions: endpoints,
      ...fields,
      dynamodb: { endpoint: run.engineEndpoint, ...(this.engine?.status ?? { pid: -1 }) },
      persist: Boolean(this.options.persist),
      instanceId: this.instanceId,
      controlSecret: this.controlSecret,
      verifySignatures: this.signatures.verify,
      replication: lagModel(
        [...this.regionMap.keys()],
        this.lagMs,
        this.currentTopology.sandbox.replicationDelayMs,
      ),
      faults: this.faultRegistry.list().map((f) => ({ region: f.region, fault: f.spec, since: f.since })),
      ...(this.canary
        ? { canary: { intervalMs: this.canary.intervalMs, alarmPeriodSeconds: SANDBOX_ALARM_PERIOD_SECONDS } }
        : {}),
      surge: { levelCacheMs: this.levelCacheMs },
      topology: this.currentTopology,
      ...(this.options.origin ? { startedFrom: this.options.origin } : {}),
    };
  }

  /** Writes the log lines still buffered (they are written within 200 ms anyway). */
  flushLog(): void {
    this.log?.flush();
  }

  /** The log's settings: the options', else the topology's `sandbox.log`. */
  private logOptions(): SandboxLogOptions {
    const configured = this.currentTopology.sandbox.log;
    const maxBytes =
      this.options.logMaxBytes ?? (configured?.maxMiB ? Math.round(configured.maxMiB * 2 ** 20) : undefined);
    const level = this.options.logLevel ?? configured?.level;
    return {
      ...(maxBytes ? { maxBytes } : {}),
      ...(level ? { level } : {}),
      ...(this.options.logSummaryMs ? { summaryMs: this.options.logSummaryMs } : {}),
    };
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
  service<H extends SandboxService>(definition: ServiceDefinition<H, ServiceNeeds>): H | undefined;
  /** A running service by its name. */
  service(name: string): SandboxService | undefined;
  service(which: string | ServiceDefinition<SandboxService, ServiceNeeds>): SandboxService | undefined {
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
        if (this.options.onStopRequest) this.options.onStopRequest();
        else void this.stop();
      },
    });
    this.engine = starting.watch;
    return starting.started;
  }

  private async startEdge(): Promise<Edge> {
    const port = this.ports.edge;
    const edge = await listenOrExplain(port, "the sandbox's edge", () =>
      startEdge({
        port,
        host: this.host,
        service: (name) => this.services.get(name),
        access: () => this.access,
        console: consoleRoutes(this),
        events: (req, res, url) => {
          const bus = this.service(EVENTS);
          bus?.serve(req, res, url);
          return bus !== undefined;
        },
        control: controlHandler(this, () =>
          this.options.onStopRequest ? this.options.onStopRequest() : void this.stop(),
        ),
        ...(this.log
          ? { onRequest: edgeRequestLogger(() => this.currentTopology.regions, this.writeLog) }
          : {}),
      }),
    );
    this.local.route(edge.port, edge.dispatch);
    return edge;
  }

  private startReplication(engineEndpoint: string): Replicator {
    const faults = this.faultRegistry;
    const replicator = new Replicator({
      endpoint: engineEndpoint,
      instanceId: this.instanceId,
      tableName: this.tableName,
      lagMs: this.lagMs,
      extraDelayMs: (region) => faults.latencyMs(region),
      faultPaused: (region) => faults.has(region, 'replication-pause'),
      pollIntervalMs: this.options.pollIntervalMs,
      idlePollIntervalMs: this.options.idlePollIntervalMs,
      onError: this.onError,
      ...replicationCheckpointOf(this.options),
      ...(this.log
        ? { onBatch: (batch) => this.writeLog({ kind: 'replication', ...batch }), isRoutine: isRoutineItem }
        : {}),
    });
    faults.onChange((region) => {
      if (faults.has(region, 'gateway-down')) this.regionMap.get(region)?.gateway.dropAll();
      replicator.pumpAll();
      void this.writeState();
    });
    return replicator;
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

  private startCanary(): void {
    const canary = this.options.canary;
    if (!canary) return;
    const globalName = names.chatRecord(this.currentTopology);
    this.canary = new SandboxCanary({
      regions: () =>
        [...this.regionMap.values()].map((r) => {
          const websocketUrl = r.info().websocketUrl;
          const global = new URL(websocketUrl);
          global.hostname = globalName;
          return { key: r.key, websocketUrl, globalUrl: global.toString() };
        }),
      topology: () => this.currentTopology,
      intervalMs: canary === true ? 2000 : (canary.intervalMs ?? 2000),
    });
    this.canary.start();
  }

  private startSurge(edgeUrl: string): void {
    const surge = this.options.surge;
    if (surge === false) return;
    this.surge.start({
      regions: () => [...this.regionMap.values()].map((r) => r.spec),
      tableName: this.tableName,
      edgeUrl,
      requestHandler: this.local.requestHandler,
      replicationLagMs: (key, now) => this.run?.replicator.inboundLagMs(key, now),
      intervalMs: surge?.intervalMs ?? 1000,
      coolDownMs: surge?.coolDownMs ?? 10_000,
      onError: this.onError,
    });
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
    const path = this.options.statePath;
    if (!path || this.phase !== 'running' || this.stopping) return this.writing;
    this.writing = this.writing
      .then(() => writeSandboxState(this.state, path))
      .catch((e: Error) => this.onError(e, 'writing sandbox.json'));
    return this.writing;
  }

  /** Services (last started first), gateways, the work still running, replication, the edge, the engine. */
  private async stopAll(): Promise<void> {
    const onError = this.onError;
    this.surge.stop();
    await this.canary?.stop();
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
    const path = this.options.statePath;
    // Stopped by its engine's death: sandbox.json stays, saying why, for status and every command to tell.
    if (path && this.failureMessage && this.run) {
      const stopped = { at: new Date().toISOString(), reason: this.failureMessage };
      await writeSandboxState({ ...this.state, stopped }, path).catch(() => {});
    } else if (path) await removeSandboxState(path);
    this.log?.close('stopped');
  }
}
