/**
 * Each region's handler counters and lanes (a part of the Sandbox: services/parts.ts): every handler call is
 * counted per route (in flight, its peak since the last reading, invocations, errors, durations), which the
 * surge controller (services/surge/) and CloudWatch's sampling (metric-sources.ts) read. Lanes are enforced
 * here: a route's reserved concurrency of the topology is its limit, and an invocation beyond it is throttled
 * (and counted) as Lambda throttles it.
 */
import type { Topology } from '../core/topology.js';
import type { LaneReading, Utilization } from '../runtime/surge/controller.js';
import type { ChatAppFactory, HostedChatApp } from './runtime-host.js';
import { LambdaThrottledError } from './throttle.js';

/** What a route did in one window: the controller's reading and CloudWatch's sampling keep one each. */
interface RouteWindow {
  peak: number;
  invocations: number;
  errors: number;
  throttles: number;
  /** Milliseconds of each invocation that finished in the window (CloudWatch's Duration). */
  durations: number[];
}

interface RouteCount {
  inFlight: number;
  readonly controller: RouteWindow;
  readonly metrics: RouteWindow;
}

const newWindow = (): RouteWindow => ({ peak: 0, invocations: 0, errors: 0, throttles: 0, durations: [] });
/** Bounds the durations a window keeps between two samplings (a flood still samples fairly). */
const MAX_DURATIONS = 5000;

/** A route's figures since the previous sampling (CloudWatch's view; the controller's window is separate). */
export interface RouteSample {
  readonly route: string;
  readonly inFlight: number;
  readonly peak: number;
  readonly invocations: number;
  readonly errors: number;
  readonly throttles: number;
  readonly durations: readonly number[];
}

/**
 * Per-route concurrency and outcome counters of one region's handlers, and the lanes: a route with a
 * reserved concurrency runs at most that many invocations at once, and the next one is throttled.
 */
export class LaneCounters {
  private readonly routes = new Map<string, RouteCount>();

  private of(route: string): RouteCount {
    let count = this.routes.get(route);
    if (!count) {
      count = { inFlight: 0, controller: newWindow(), metrics: newWindow() };
      this.routes.set(route, count);
    }
    return count;
  }

  /**
   * Counts `work` as one invocation of `route`; an error is a throw or a 5XX answer. With a `limit` (the
   * lane's reserved concurrency), an invocation that would exceed it is throttled instead: not run, counted
   * in throttles only (Lambda counts a throttled request in neither Invocations nor Errors).
   */
  async track<T>(route: string, work: () => Promise<T>, limit?: number): Promise<T> {
    const count = this.of(route);
    const windows = [count.controller, count.metrics];
    if (limit !== undefined && count.inFlight >= limit) {
      for (const w of windows) w.throttles++;
      throw new LambdaThrottledError(route, limit);
    }
    count.inFlight++;
    for (const w of windows) {
      w.invocations++;
      w.peak = Math.max(w.peak, count.inFlight);
    }
    const started = performance.now();
    let failed = false;
    try {
      const result = await work();
      const status = (result as { statusCode?: unknown } | undefined)?.statusCode;
      if (typeof status === 'number' && status >= 500) failed = true;
      return result;
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      count.inFlight--;
      const ms = performance.now() - started;
      for (const w of windows) {
        if (failed) w.errors++;
        if (w.durations.length < MAX_DURATIONS) w.durations.push(ms);
      }
    }
  }

  /** The window since the last reading, per lane of `lanes`; starts the next window. */
  read(lanes: Topology['lanes'], at: number): Utilization {
    const readings: LaneReading[] = [];
    for (const [route, reserved] of Object.entries(lanes)) {
      if (reserved === undefined) continue;
      const count = this.of(route);
      const w = count.controller;
      readings.push({
        route,
        concurrency: w.peak,
        reserved,
        throttles: w.throttles,
        invocations: w.invocations,
        errors: w.errors,
      });
      Object.assign(w, newWindow(), { peak: count.inFlight });
    }
    return { at, lanes: readings };
  }

  /** Every route's figures since the previous sample (for CloudWatch); starts the next sample. */
  sample(): RouteSample[] {
    return [...this.routes.entries()].map(([route, count]) => {
      const w = count.metrics;
      const sample: RouteSample = { route, inFlight: count.inFlight, ...w };
      Object.assign(w, newWindow(), { peak: count.inFlight });
      return sample;
    });
  }
}

/** The route a WebSocket MESSAGE event is for: its routeKey, as API Gateway's route selection set it. */
function messageRoute(event: unknown): string {
  const key = (event as { requestContext?: { routeKey?: string } } | undefined)?.requestContext?.routeKey;
  return !key || key === '$default' ? 'default' : key;
}

/**
 * The app with every handler call counted per route (`relay` and `health` too), each route held to its lane
 * of `lanes()` (read at every call, so a changed topology applies at once).
 */
export function countingApp(
  app: HostedChatApp,
  counters: LaneCounters,
  lanes: () => Topology['lanes'] = () => ({}),
): HostedChatApp {
  const run = <T>(route: string, work: () => Promise<T>) =>
    counters.track(route, work, (lanes() as Record<string, number | undefined>)[route]);
  return {
    ...app,
    connect: (event) => run('connect', () => app.connect(event)),
    disconnect: (event) => run('disconnect', () => app.disconnect(event)),
    message: (event) => run(messageRoute(event), () => app.message(event)),
    relay: (payload) => run('relay', () => app.relay(payload)),
    health: (event) => run('health', () => app.health(event)),
  };
}

/**
 * Every region's counters, made as its handlers are built, and the lanes each runs with. A region can run
 * with rehearsal lanes for a while (drill surge sets them, scaled to the load one machine makes, and puts the
 * topology's back): enforced and read by the surge controller in place of the topology's.
 */
export class RegionLanes {
  private readonly byRegion = new Map<string, LaneCounters>();
  private readonly rehearsal = new Map<string, Topology['lanes']>();

  constructor(private readonly topology: () => Topology) {}

  /** The lanes `regionKey` runs with now: its rehearsal lanes, else the topology's. */
  lanes(regionKey: string): Topology['lanes'] {
    return this.rehearsal.get(regionKey) ?? this.topology().lanes;
  }

  /** Sets (or, with null, clears) a region's rehearsal lanes; answers the lanes it runs with now. */
  setRehearsalLanes(regionKey: string, lanes: Topology['lanes'] | null): Topology['lanes'] {
    if (lanes === null) this.rehearsal.delete(regionKey);
    else this.rehearsal.set(regionKey, { ...lanes });
    return this.lanes(regionKey);
  }

  /** The regions running with rehearsal lanes, and those lanes. */
  rehearsals(): Readonly<Record<string, Topology['lanes']>> {
    return Object.fromEntries(this.rehearsal);
  }

  /** A region's counters (each reading starts a new window). */
  counters(regionKey: string): LaneCounters {
    let counters = this.byRegion.get(regionKey);
    if (!counters) {
      counters = new LaneCounters();
      this.byRegion.set(regionKey, counters);
    }
    return counters;
  }

  /** The app factory with every handler call counted in its region and held to the lanes it runs with. */
  counting(createApp: ChatAppFactory): ChatAppFactory {
    return async (config, deps) =>
      countingApp(await createApp(config, deps), this.counters(config.regionKey), () =>
        this.lanes(config.regionKey),
      );
  }
}
