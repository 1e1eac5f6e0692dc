/**
 * The surge controller in the sandbox: the runtime's own step (runtime/surge/run.ts), run in-process on an
 * interval for every region, reading utilization from the lanes' counters (../../lanes.ts), and the region's
 * load-level item through the edge, as on AWS; the replication lag into each region comes from the
 * replicator's own measure (on AWS: ReplicationLatency from CloudWatch).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { names } from '../../../core/names.js';
import type { RegionSpec, Topology } from '../../../core/topology.js';
import type { AwsRequestHandler } from '../../../runtime/app.js';
import type { ControllerPolicy } from '../../../runtime/surge/controller.js';
import { DEFAULT_POLICY } from '../../../runtime/surge/controller.js';
import { type ControllerRun, dynamoLevelStore, runController } from '../../../runtime/surge/run.js';
import type { LaneCounters } from '../../lanes.js';
import { runRoutine } from '../../routine.js';
import { SANDBOX_CREDENTIALS } from '../../state.js';
import type { ServiceFactory } from '../definition.js';
import type { DYNAMODB } from '../dynamodb/definition.js';
import type { PartNeed } from '../parts.js';
import type { SandboxService } from '../service.js';

export interface SurgeOptions {
  readonly surge?: false | { readonly intervalMs?: number; readonly coolDownMs?: number };
}

export interface SurgeLoopOptions {
  /** The lanes a region runs with now. */
  readonly lanes: (regionKey: string) => Topology['lanes'];
  readonly regions: () => readonly Pick<RegionSpec, 'key' | 'awsRegion'>[];
  readonly counters: (regionKey: string) => LaneCounters;
  /** The replication lag into a region now, ms (the replicator's measure; starts its next window). */
  readonly replicationLagMs?: (regionKey: string, now: number) => number | undefined;
  readonly tableName: string;
  readonly edgeUrl: string;
  readonly requestHandler?: AwsRequestHandler;
  /** How often each region's controller runs. */
  readonly intervalMs: number;
  /** The policy's cool-down (the sandbox rehearses in seconds, not minutes). */
  readonly coolDownMs: number;
  readonly onRun?: (run: ControllerRun) => void;
  readonly onError: (error: Error, where: string) => void;
}

export interface SurgeLoop {
  /** One run of every region's controller now (the loop also runs on its interval). */
  runOnce(): Promise<ControllerRun[]>;
  stop(): void;
}

export function startSurgeLoop(options: SurgeLoopOptions): SurgeLoop {
  const clients = new Map<string, DynamoDBClient>();
  const policy: ControllerPolicy = { ...DEFAULT_POLICY, coolDownMs: options.coolDownMs };
  const client = (awsRegion: string) => {
    let c = clients.get(awsRegion);
    if (!c) {
      c = new DynamoDBClient({
        region: awsRegion,
        endpoint: options.edgeUrl,
        credentials: { ...SANDBOX_CREDENTIALS },
        ...(options.requestHandler ? { requestHandler: options.requestHandler } : {}),
      });
      clients.set(awsRegion, c);
    }
    return c;
  };
  let running: Promise<ControllerRun[]> | undefined;
  const runOnce = () => {
    running ??= Promise.all(
      options.regions().map((spec) =>
        runController(spec.key, {
          store: dynamoLevelStore(client(spec.awsRegion), options.tableName, spec.key),
          readUtilization: async (now) => options.counters(spec.key).read(options.lanes(spec.key), now),
          readReplicationLag: async (now) => options.replicationLagMs?.(spec.key, now),
          policy,
        }).then((run) => {
          options.onRun?.(run);
          return run;
        }),
      ),
    ).finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    if (running) return;
    // The controller's reads and writes are routine traffic for the log (routine.ts).
    runRoutine(true, runOnce).catch((error: Error) => options.onError(error, 'surge controller'));
  }, options.intervalMs);
  timer.unref();
  return {
    runOnce,
    stop() {
      clearInterval(timer);
      for (const c of clients.values()) c.destroy();
    },
  };
}

/** The sandbox's surge controller: the loop over every region's lanes, and the level each last decided. */
export class SurgeService implements SandboxService {
  readonly name = 'chatctl-surge';
  private loop: SurgeLoop | undefined;
  private readonly levels = new Map<string, number>();

  constructor(private readonly options: Omit<SurgeLoopOptions, 'onRun'>) {}

  start(): Promise<void> {
    this.loop ??= startSurgeLoop({
      ...this.options,
      onRun: (run) => this.levels.set(run.region, run.decision.level),
    });
    return Promise.resolve();
  }

  /** A region's load level as its controller last decided (undefined before its first run). */
  level(regionKey: string): number | undefined {
    return this.levels.get(regionKey);
  }

  /** One run of every region's controller now; none before start. */
  runOnce(): Promise<ControllerRun[]> {
    return this.loop ? this.loop.runOnce() : Promise.resolve([]);
  }

  stop(): Promise<void> {
    this.loop?.stop();
    this.loop = undefined;
    return Promise.resolve();
  }
}

/** The surge controller writes through the edge to DynamoDB, reading each region's lanes. */
export type SurgeNeeds = {
  dynamodb: typeof DYNAMODB;
  lanes: PartNeed<'lanes'>;
  replication: PartNeed<'replication'>;
  edge: PartNeed<'edge'>;
};

export const createService: ServiceFactory<SurgeService, SurgeNeeds, SurgeOptions> = (
  context,
  { lanes, replication, edge },
  { surge },
) =>
  surge === false
    ? undefined
    : new SurgeService({
        lanes: (key) => lanes.lanes(key),
        regions: context.regions,
        counters: (key) => lanes.counters(key),
        replicationLagMs: (key, now) => replication.inboundLagMs(key, now),
        tableName: names.table(context.topology()),
        edgeUrl: edge.url,
        ...(edge.requestHandler ? { requestHandler: edge.requestHandler } : {}),
        intervalMs: surge?.intervalMs ?? 1000,
        coolDownMs: surge?.coolDownMs ?? 10_000,
        onError: context.onError,
      });
