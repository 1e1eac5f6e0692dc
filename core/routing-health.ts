/**
 * What decides whether Route 53 routes users to a region, shared by the stacks (which deploy it), the sandbox
 * (which runs it) and the CLI (which shows it); docs/deploying.md, "Routing health", argues the design.
 *
 * A region's routing check is healthy while enough of its judges see its chat work end to end: the region's
 * own canary and the canaries of the next regions in the topology's order (up to OUTSIDE_JUDGES of them), each
 * connecting, joining, sending and receiving on the region's public WebSocket name. Every judgement is a
 * CloudWatch alarm in the judged region (an outside judge publishes its result there), missing data is a
 * failure, and Route 53 counts an alarm without data as unhealthy: a region whose probes stop reporting
 * leaves DNS. The HTTP /health endpoint is no judge: anyone can exhaust its stage throttle.
 */
import type { Topology } from './topology.js';

/** API Gateway's stage throttles (token bucket: steady requests per second, burst): stacks set, sandbox enforces. */
export const STAGE_THROTTLE = { rateLimit: 2000, burstLimit: 1000 } as const;
export const HEALTH_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;

/** The stage throttles a topology asks for (its `throttle` field), else the defaults above. */
export function stageThrottles(topology: Pick<Topology, 'throttle'>): {
  readonly stage: { readonly rateLimit: number; readonly burstLimit: number };
  readonly health: { readonly rateLimit: number; readonly burstLimit: number };
} {
  return {
    stage: topology.throttle?.stage ?? STAGE_THROTTLE,
    health: topology.throttle?.health ?? HEALTH_THROTTLE,
  };
}

/** How many other regions judge each region (fewer when the topology has fewer). */
export const OUTSIDE_JUDGES = 2;

/** The dimension that names an outside judge on the judged region's CanarySuccess metric. */
export const JUDGE_DIMENSION = 'Judge';

/**
 * The canary alarm: one-minute periods, two failed or missing in a row. With Route 53 reading alarms about
 * every 30 s, a region whose judges fail or stop reporting leaves DNS within JUDGEMENT_DEADLINE_SECONDS.
 */
export const CANARY_ALARM_PERIOD_SECONDS = 60;
export const CANARY_ALARM_EVALUATION_PERIODS = 2;
export const JUDGEMENT_DEADLINE_SECONDS = 3 * 60;

/** The regions that judge `key`: itself first, then the next regions in the topology's order, wrapping. */
export function canaryJudges(topology: Pick<Topology, 'regions'>, key: string): string[] {
  const keys = topology.regions.map((r) => r.key);
  const at = keys.indexOf(key);
  if (at < 0) return [];
  const outside = Math.min(OUTSIDE_JUDGES, keys.length - 1);
  return [key, ...Array.from({ length: outside }, (_, i) => keys[(at + 1 + i) % keys.length])];
}

/** The other regions `judge`'s canary probes (each of them has `judge` among its judges). */
export function judgedBy(topology: Pick<Topology, 'regions'>, judge: string): string[] {
  return topology.regions
    .map((r) => r.key)
    .filter((key) => key !== judge && canaryJudges(topology, key).includes(judge));
}

/** How many judges must see the region healthy: all but one (a judge's own outage drains no one else), at least 1. */
export function routingThreshold(judges: number): number {
  return Math.max(1, judges - 1);
}

/** The alarm slug (after names.alarmPrefix of the judged region) of one judge's judgement. */
export function judgementAlarmSlug(judged: string, judge: string): string {
  return judge === judged ? 'canary' : `canary-from-${judge}`;
}

/**
 * Which judgement an alarm name (names.alarmPrefix + judgementAlarmSlug: `<app>-<judged>-canary[-from-<judge>]`)
 * stands for; undefined for any other alarm.
 */
export function judgementOfAlarm(alarmName: string): { judged: string; judge: string } | undefined {
  const match = /^.+-([a-z][a-z0-9]{1,11})-canary(?:-from-([a-z][a-z0-9]{1,11}))?$/.exec(alarmName);
  if (!match) return undefined;
  return { judged: match[1], judge: match[2] ?? match[1] };
}
