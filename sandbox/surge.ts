/**
 * The surge controller in the sandbox: the runtime's own step (runtime/surge/run.ts), run in-process on an
 * interval for every region, reading utilization from counters the sandbox keeps around each handler call
 * (in flight per route, its peak since the last reading, invocations, errors), and the region's load-level
 * item through the edge, as on AWS. Lanes are not enforced here yet (no throttles are counted).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RegionSpec, Topology } from '../core/topology.js';
import type { AwsRequestHandler } from '../runtime/app.js';
import type { ControllerPolicy, LaneReading, Utilization } from '../runtime/surge/controller.js';
import { DEFAULT_POLICY } from '../runtime/surge/controller.js';
import { type ControllerRun, dynamoLevelStore, runController } from '../runtime/surge/run.js';
import type { ChatAppFactory, HostedChatApp } from './runtime-host.js';
import { SANDBOX_CREDENTIALS } from './state.js';

interface RouteCount {
  inFlight: number;
  peak: number;
  invocations: number;
  errors: number;
}

/** Per-route concurrency and outcome counters of one region's handlers. */
export class LaneCounters {
  private readonly routes = new Map<string, RouteCount>();

  private of(route: string): RouteCount {
    let count = this.routes.get(route);
    if (!count) {
      count = { inFlight: 0, peak: 0, invocations: 0, errors: 0 };
      this.routes.set(route, count);
    }
    return count;
  }

  /** Counts `work` as one invocation of `route`; an error is a throw or a 5XX answer. */
  async track<T>(route: string, work: () => Promise<T>): Promise<T> {
    const count = this.of(route);
    count.inFlight++;
    count.invocations++;
    count.peak = Math.max(count.peak, count.inFlight);
    try {
      const result = await work();
      const status = (result as { statusCode?: unknown } | undefined)?.statusCode;
      if (typeof status === 'number' && status >= 500) count.errors++;
      return result;
    } catch (error) {
      count.errors++;
      throw error;
    } finally {
      count.inFlight--;
    }
  }

  /** The window since the last reading, per lane of `lanes`; starts the next window. */
  read(lanes: Topology['lanes'], at: number): Utilization {
    const readings: LaneReading[] = [];
    for (const [route, reserved] of Object.entries(lanes)) {
      if (reserved === undefined) continue;
      const count = this.of(route);
      readings.push({
        route,
        concurrency: count.peak,
        reserved,
        throttles: 0,
        invocations: count.invocations,
        errors: count.errors,
      });
      count.peak = count.inFlight;
      count.invocations = 0;
      count.errors = 0;
    }
    return { at, lanes: readings };
  }
}

/** The route a WebSocket MESSAGE event is for: its routeKey, as API Gateway's route selection set it. */
function messageRoute(event: unknown): string {
  const key = (event as { requestContext?: { routeKey?: string } } | undefined)?.requestContext?.routeKey;
  return !key || key === '$default' ? 'default' : key;
}

/** The app with every handler call counted per route (`relay` and `health` too). */
export function countingApp(app: HostedChatApp, counters: LaneCounters): HostedChatApp {
  return {
    ...app,
    connect: (event) => counters.track('connect', () => app.connect(event)),
    disconnect: (event) => counters.track('disconnect', () => app.disconnect(event)),
    message: (event) => counters.track(messageRoute(event), () => app.message(event)),
    relay: (payload) => counters.track('relay', () => app.relay(payload)),
    health: (event) => counters.track('health', () => app.health(event)),
  };
}

export interface SurgeLoopOptions {
  readonly topology: () => Topology;
  readonly regions: () => readonly RegionSpec[];
  readonly counters: (regionKey: string) => LaneCounters;
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
          readUtilization: async (now) => options.counters(spec.key).read(options.topology().lanes, now),
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
    runOnce().catch((error: Error) => options.onError(error, 'surge controller'));
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

/** The sandbox's surge controller: the counters of every region's handlers, and the loop that reads them. */
export class SandboxSurge {
  private readonly byRegion = new Map<string, LaneCounters>();
  private loop: SurgeLoop | undefined;
  private readonly levels = new Map<string, number>();

  /** A region's counters (each reading starts a new window). */
  counters(regionKey: string): LaneCounters {
    let counters = this.byRegion.get(regionKey);
    if (!counters) {
      counters = new LaneCounters();
      this.byRegion.set(regionKey, counters);
    }
    return counters;
  }

  /** The app factory with every handler call counted in its region. */
  counting(createApp: ChatAppFactory): ChatAppFactory {
    return async (config, deps) =>
      countingApp(await createApp(config, deps), this.counters(config.regionKey));
  }

  start(options: Omit<SurgeLoopOptions, 'counters'>): void {
    this.loop ??= startSurgeLoop({
      ...options,
      counters: (key) => this.counters(key),
      onRun: (run) => {
        this.levels.set(run.region, run.decision.level);
        options.onRun?.(run);
      },
    });
  }

  /** A region's load level as its controller last decided (undefined before its first run). */
  level(regionKey: string): number | undefined {
    return this.levels.get(regionKey);
  }

  /** One run of every region's controller now; none when the loop was not started. */
  runOnce(): Promise<ControllerRun[]> {
    return this.loop ? this.loop.runOnce() : Promise.resolve([]);
  }

  stop(): void {
    this.loop?.stop();
    this.loop = undefined;
  }
}
