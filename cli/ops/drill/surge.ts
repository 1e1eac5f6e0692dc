/**
 * Over 400 lines (about 430) because the two runs, the rehearsal lane set and put back around them, and the
 * verdict read from both share one sequence; the load itself and the figures live in surge-load.ts and beside it.
 * `chatctl drill surge`: rehearses a traffic surge against one region of the sandbox, twice, the same load
 * each time: first with `traffic auto` on, then off. Each run measures over time the send ack and delivery
 * latencies, connect success and shed rates, the throttles and peak concurrency of every lane (from the
 * sandbox's CloudWatch, as on AWS), and the load level the controller chose and when. The verdict is the
 * auto run's: passed when send's p99 stays under the threshold while lower-priority work is shed, and the
 * level comes back to 0 after the surge. The difference between the runs is the point of the drill.
 * The region's auto setting is put back as it was. Sandbox only (the load it makes would cost real money).
 */
import { UserError } from '../../../core/errors.js';
import { names } from '../../../core/names.js';
import type { Route } from '../../../core/protocol.js';
import { findRegion } from '../../../core/topology.js';
import { cloudwatchClient, withClient } from '../aws/clients.js';
import { metricData } from '../aws/cloudwatch.js';
import type { Target } from '../target.js';
import { setTrafficAuto, setTrafficLevel, trafficStatus } from '../traffic/index.js';
import {
  type LoadPlan,
  type LoadSecond,
  type LoadSummary,
  planFor,
  runLoad,
  type SurgeCaps,
  type SurgeProfile,
  secondFigures,
  summarize,
  surgeCaps,
} from './surge-load.js';

export interface LevelChange {
  /** Seconds from the start of the surge. */
  readonly t: number;
  readonly level: number;
  readonly setBy: string | null;
  readonly reason?: string;
}

export interface LaneFigures {
  readonly route: string;
  readonly reserved: number;
  readonly throttles: number;
  readonly peakConcurrency: number;
}

export interface TimelinePoint {
  readonly t: number;
  readonly level: number;
  readonly ackP99Ms: number;
  readonly shedRate: number;
  readonly sends: number;
  readonly connects: number;
  /** Throttles per lane in this second. */
  readonly throttles: Readonly<Record<string, number>>;
}

export interface SurgeRun {
  readonly auto: boolean;
  readonly summary: LoadSummary;
  readonly lanes: readonly LaneFigures[];
  readonly levels: readonly LevelChange[];
  readonly peakLevel: number;
  /** Seconds after the surge until the level was 0 again; null when it was not within the recovery window. */
  readonly recoveredAfterS: number | null;
  readonly timeline: readonly TimelinePoint[];
}

export interface SurgeDrillResult {
  readonly region: string;
  readonly profile: SurgeProfile;
  readonly durationMs: number;
  readonly caps: SurgeCaps;
  readonly plan: LoadPlan;
  /** Sentences about what was capped or cannot be reached on this machine. */
  readonly notes: readonly string[];
  readonly thresholdMs: number;
  readonly runs: { readonly autoOn: SurgeRun; readonly autoOff: SurgeRun };
  readonly verdict: 'passed' | 'failed';
  readonly reasons: readonly string[];
  readonly difference: {
    readonly ackP99Ms: number;
    readonly deliveryP99Ms: number;
    readonly connectShedRate: number;
    readonly throttles: number;
  };
}

export interface SurgeDrillOptions {
  readonly region: string;
  readonly profile?: SurgeProfile;
  readonly durationMs?: number;
  /** Send ack p99 the auto run must stay under (default 1500 ms). */
  readonly thresholdMs?: number;
  /** How long to wait after the surge for the level to come back to 0 (default 60 s). */
  readonly recoveryMs?: number;
  readonly caps?: SurgeCaps;
  /** How long the region's handlers trust a load level they read (default: the target's, a second on the sandbox). */
  readonly levelCacheMs?: number;
  readonly onProgress?: (line: string) => void;
  /** Run the surged lane as a rehearsal lane sized to the load (default true); false keeps the topology's. */
  readonly rehearsalLane?: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runSurgeDrill(target: Target, options: SurgeDrillOptions): Promise<SurgeDrillResult> {
  if (target.kind !== 'sandbox') {
    throw new UserError(
      'drill surge runs against the sandbox only: the load it makes would cost real money',
      {
        hint: 'start one with: chatctl sandbox up, and run the drill with --target sandbox',
      },
    );
  }
  const spec = findRegion(target.topology, options.region);
  const profile = options.profile ?? 'new-year';
  const durationMs = options.durationMs ?? 30_000;
  const thresholdMs = options.thresholdMs ?? 1500;
  const caps = options.caps ?? surgeCaps();
  const plan = planFor(profile, caps);
  const rehearsal = options.rehearsalLane === false ? undefined : rehearsalLanes(target.topology.lanes, plan);
  const notes = capNotes(rehearsal ?? target.topology.lanes, caps, plan);
  const progress = options.onProgress ?? (() => {});
  for (const note of notes) progress(note);

  const before = (await trafficStatus(target, { region: spec.key })).regions[0];
  const runs: SurgeRun[] = [];
  try {
    if (rehearsal) {
      await setRehearsalLanes(target, spec.key, rehearsal);
      const note = `${spec.key} runs the drill with a rehearsal lane: ${describeLanes(rehearsal, target.topology.lanes)}, what this load fills without drowning the machine; put back after`;
      notes.push(note);
      progress(note);
    }
    for (const auto of [true, false]) {
      progress(
        `run ${runs.length + 1} of 2: ${profile} for ${durationMs / 1000} s with traffic auto ${auto ? 'on' : 'off'}`,
      );
      await setTrafficLevel(target, 0, { region: spec.key, reason: 'drill surge: start from level 0' });
      await setTrafficAuto(target, auto, { region: spec.key });
      runs.push(
        await oneRun(target, spec.key, plan, {
          auto,
          durationMs,
          recoveryMs: options.recoveryMs ?? 60_000,
          lanes: rehearsal ?? target.topology.lanes,
          progress,
        }),
      );
    }
  } finally {
    // Put the region back: its lanes, its auto setting, and the level it had (the operator's, when auto was off).
    if (rehearsal) {
      await setRehearsalLanes(target, spec.key, null).catch((error: Error) =>
        progress(`could not put back the lanes of ${spec.key}: ${error.message}`),
      );
    }
    await restore(target, spec.key, before).catch((error: Error) =>
      progress(`could not restore the load level of ${spec.key}: ${error.message}`),
    );
  }
  const [autoOn, autoOff] = runs;
  const reasons: string[] = [];
  if (autoOn.summary.ackP99Ms >= thresholdMs) {
    reasons.push(`send ack p99 ${autoOn.summary.ackP99Ms} ms is not under ${thresholdMs} ms`);
  }
  // An ack p99 of no acks is 0: a surge of sends none of which was served must not pass.
  if (autoOn.summary.sends >= 10 && autoOn.summary.acks === 0) {
    reasons.push(
      `none of the auto run's ${autoOn.summary.sends} sends was acked: send was not served at all`,
    );
  }
  if (autoOn.peakLevel === 0) reasons.push('the controller never raised the level: nothing was shed');
  // Level 3 sheds new connections only once the handlers' cached level expires: judged when that was in the surge.
  const cacheS = (options.levelCacheMs ?? target.timing.levelCacheMs) / 1000;
  const level3At = autoOn.levels.find((l) => l.level === 3)?.t;
  // Connections tried once level 3 had reached the handlers: the ones it had to refuse.
  const triedAfter = (at: number) =>
    autoOn.timeline.filter((p) => p.t >= Math.ceil(at + cacheS)).reduce((a, p) => a + p.connects, 0);
  if (level3At !== undefined && autoOn.summary.connectShedRate === 0) {
    if (level3At + cacheS <= durationMs / 1000 && triedAfter(level3At) > 0) {
      reasons.push(
        `level 3 was set at ${level3At} s and no new connection was refused in the ${durationMs / 1000} s surge`,
      );
    } else {
      const note =
        level3At + cacheS <= durationMs / 1000
          ? `level 3 came at ${level3At} s and no connection was tried after the handlers' ${cacheS} s level cache: its shedding was not tested`
          : `level 3 came at ${level3At} s, less than the handlers' ${cacheS} s level cache before the surge ended: its shedding was not tested (a longer --duration tests it)`;
      notes.push(note);
      progress(note);
    }
  }
  if (autoOn.recoveredAfterS === null) reasons.push('the level did not come back to 0 after the surge');
  const throttles = (run: SurgeRun) => run.lanes.reduce((a, l) => a + l.throttles, 0);
  return {
    region: spec.key,
    profile,
    durationMs,
    caps,
    plan,
    notes,
    thresholdMs,
    runs: { autoOn, autoOff },
    verdict: reasons.length === 0 ? 'passed' : 'failed',
    reasons,
    difference: {
      ackP99Ms: round(autoOff.summary.ackP99Ms - autoOn.summary.ackP99Ms),
      deliveryP99Ms: round(autoOff.summary.deliveryP99Ms - autoOn.summary.deliveryP99Ms),
      connectShedRate: round(autoOn.summary.connectShedRate - autoOff.summary.connectShedRate),
      throttles: throttles(autoOff) - throttles(autoOn),
    },
  };
}

type Lanes = Target['topology']['lanes'];

/**
 * The lanes a rehearsal on one machine runs with: the lane the profile surges (new-year: send; earthquake:
 * connect) sized to what the plan's clients keep busy, the others as they are; undefined when that lane is
 * already that small. A lane sized for AWS fills on one machine only once the machine drowns in the surge: the
 * controller then reacts after the surge, and the region takes longer than the drill to recover. The other lanes
 * stay as they are: the canaries and the relay keep small lanes busy after the surge, and the level would never
 * come back to 0.
 */
export function rehearsalLanes(lanes: Lanes, plan: LoadPlan): Lanes | undefined {
  const route = plan.profile === 'new-year' ? 'send' : 'connect';
  const size = plan.profile === 'new-year' ? Math.max(2, Math.round(plan.members / 10)) : 12;
  const now = (lanes as Record<string, number | undefined>)[route];
  if (now !== undefined && now <= size) return undefined;
  return { ...lanes, [route]: size } as Lanes;
}

/** The lanes of `lanes` that differ from `from`, e.g. "send 8 (not 200)". */
const describeLanes = (lanes: Lanes, from: Lanes) =>
  Object.entries(lanes)
    .filter(([route, n]) => (from as Record<string, number | undefined>)[route] !== n)
    .map(
      ([route, n]) =>
        `${route} ${n} (not ${(from as Record<string, number | undefined>)[route] ?? 'unreserved'})`,
    )
    .join(', ');

async function setRehearsalLanes(target: Target, key: string, lanes: Lanes | null): Promise<void> {
  if (!target.sandbox) return;
  const { control } = await import('../sandbox/control.js');
  await control<'surgeLanes'>(target.sandbox, 'POST', '/surge/lanes', { region: key, lanes });
}

async function restore(
  target: Target,
  key: string,
  before: Awaited<ReturnType<typeof trafficStatus>>['regions'][number],
): Promise<void> {
  if (!before.auto.enabled) {
    await setTrafficLevel(target, before.level, {
      region: key,
      reason: before.reason ?? 'restored after drill surge',
    });
  }
  await setTrafficAuto(target, before.auto.enabled, { region: key, maxLevel: before.auto.maxLevel });
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** What this machine cannot carry, said plainly. */
function capNotes(laneSizes: Lanes, caps: SurgeCaps, plan: LoadPlan): string[] {
  const notes = [
    `capped for this machine (${caps.cores} cores): ${plan.members} connections, ${plan.sendsPerSecond} sends/s, ${plan.loginsPerSecond} logins/s`,
  ];
  const lanes = laneSizes as Record<string, number | undefined>;
  const fillable = Object.entries(lanes).filter(([, n]) => n !== undefined && n <= plan.members / 2);
  if (fillable.length === 0) {
    notes.push(
      'the lanes of chatctl.json reserve more concurrency than this load can fill, so the controller may not raise the level; for a rehearsal on one machine, use small lanes (e.g. "lanes": { "send": 8, "connect": 3 })',
    );
  }
  return notes;
}

async function oneRun(
  target: Target,
  key: string,
  plan: LoadPlan,
  options: {
    auto: boolean;
    durationMs: number;
    recoveryMs: number;
    /** The lanes the region runs with (a rehearsal lane included). */
    lanes: Lanes;
    progress: (line: string) => void;
  },
): Promise<SurgeRun> {
  const spec = findRegion(target.topology, key);
  const levels: LevelChange[] = [];
  let started = Date.now();
  let watching = true;
  const watch = (async () => {
    while (watching) {
      const status = (await trafficStatus(target, { region: key })).regions[0];
      // When the level was written, not when this poll (slow under the surge's load) saw it.
      const at = status.updatedAt ? Date.parse(status.updatedAt) : Date.now();
      const t = Math.max(0, Math.round((Math.min(at, Date.now()) - started) / 100) / 10);
      if (levels.at(-1)?.level !== status.level) {
        levels.push({ t, level: status.level, setBy: status.setBy, reason: status.reason });
        options.progress(
          `  ${t.toFixed(1)} s: level ${status.level}${status.setBy ? ` (${status.setBy})` : ''}`,
        );
      }
      await sleep(250);
    }
  })();
  const tag = `${options.auto ? 'on' : 'off'}${Date.now().toString(36)}`;
  let seconds: LoadSecond[] = [];
  let windowStart = Date.now();
  try {
    seconds = await runLoad(
      { url: target.region(key).websocketUrl, token: (userId) => target.token(userId, 3600) },
      plan,
      {
        durationMs: options.durationMs,
        tag,
        // The measured window starts once the members are connected.
        onStart: () => {
          windowStart = Date.now();
          started = windowStart;
        },
      },
    );
    // After the surge: wait for the level to come back to 0 (auto on), within the recovery window.
    const surgeEnd = Date.now();
    let recoveredAfterS: number | null = null;
    if (options.auto) {
      const deadline = surgeEnd + options.recoveryMs;
      while (Date.now() < deadline) {
        const status = (await trafficStatus(target, { region: key })).regions[0];
        if (status.level === 0) {
          recoveredAfterS = Math.round((Date.now() - surgeEnd) / 100) / 10;
          break;
        }
        await sleep(250);
      }
    } else {
      recoveredAfterS = 0;
    }
    watching = false;
    await watch;
    const lanes = await laneFigures(target, key, spec.awsRegion, options.lanes, windowStart, Date.now());
    const levelAt = (t: number) => [...levels].reverse().find((l) => l.t <= t + 1)?.level ?? 0;
    const timeline: TimelinePoint[] = seconds.map((s) => ({
      t: s.t,
      level: levelAt(s.t),
      ...secondFigures(s),
      sends: s.sends,
      connects: s.connects,
      throttles: Object.fromEntries(lanes.perSecond.map(([route, values]) => [route, values[s.t] ?? 0])),
    }));
    return {
      auto: options.auto,
      summary: summarize(seconds),
      lanes: lanes.totals,
      levels,
      peakLevel: Math.max(0, ...levels.map((l) => l.level)),
      recoveredAfterS,
      timeline,
    };
  } finally {
    watching = false;
    await watch.catch(() => {});
  }
}

/** Throttles (Sum) and peak concurrency (Maximum) per lane, from CloudWatch, per second of the window. */
async function laneFigures(
  target: Target,
  key: string,
  awsRegion: string,
  laneSizes: Lanes,
  from: number,
  to: number,
): Promise<{ totals: LaneFigures[]; perSecond: [string, number[]][] }> {
  const lanes = Object.entries(laneSizes as Record<string, number | undefined>).filter(
    (entry): entry is [string, number] => entry[1] !== undefined,
  );
  return withClient(cloudwatchClient(target, awsRegion), async (client) => {
    const results = await metricData(
      client,
      lanes.flatMap(([route], i) =>
        (
          [
            ['throttles', 'Throttles', 'Sum'],
            ['peak', 'ConcurrentExecutions', 'Maximum'],
          ] as const
        ).map(([id, metric, stat]) => ({
          Id: `${id}_${i}`,
          MetricStat: {
            Metric: {
              Namespace: 'AWS/Lambda',
              MetricName: metric,
              Dimensions: [
                { Name: 'FunctionName', Value: names.function(target.topology, key, route as Route) },
              ],
            },
            Period: 1,
            Stat: stat,
          },
        })),
      ),
      { start: new Date(from), end: new Date(to + 1000), scanBy: 'TimestampAscending' },
    );
    const byId = new Map(results.map((r) => [r.Id ?? '', r]));
    const totals: LaneFigures[] = [];
    const perSecond: [string, number[]][] = [];
    lanes.forEach(([route, reserved], i) => {
      const throttles = byId.get(`throttles_${i}`);
      const peak = byId.get(`peak_${i}`);
      const series: number[] = [];
      (throttles?.Timestamps ?? []).forEach((at, j) => {
        const t = Math.floor((at.getTime() - from) / 1000);
        if (t >= 0) series[t] = (series[t] ?? 0) + (throttles?.Values?.[j] ?? 0);
      });
      perSecond.push([route, series]);
      totals.push({
        route,
        reserved,
        throttles: (throttles?.Values ?? []).reduce((a, b) => a + b, 0),
        peakConcurrency: Math.max(0, ...(peak?.Values ?? [])),
      });
    });
    return { totals, perSecond };
  });
}
