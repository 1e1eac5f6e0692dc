/**
 * `chatctl health`'s CloudWatch checks of a region, the same against the sandbox and AWS: every alarm of the
 * app's region (names.alarmPrefix) in ALARM, each with what to do about it; and the chat canary's latest result
 * (CanarySuccess and CanaryLatency), whose alarm steers the region's Route 53 check.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { names } from '../../../core/names.js';
import { CUSTOM_METRICS, METRIC_DIMENSION, metricsNamespace } from '../../../core/observability.js';
import { alarmsInAlarm, metricData } from '../aws/cloudwatch.js';
import type { RegionEndpoints, Target } from '../target.js';
import type { CheckResult } from './verdict.js';

/** What the on-call engineer does about each alarm, by the slug after the region's prefix (stacks/observability.ts). */
const ALARM_ADVICE: readonly [RegExp, (key: string) => string][] = [
  [
    /^canary$/,
    (k) =>
      `connect, join or send failed in ${k} (its canary is one of the judges Route 53 routes ${k} by: the route53 check says whether it is in DNS); look at the connect and send function errors`,
  ],
  [
    /^canary-latency$/,
    (k) =>
      `chat is slow in ${k}: look at lane concurrency and replication lag (chatctl traffic status, chatctl replication lag)`,
  ],
  [
    /^lane-(.+)-throttles$/,
    (k) =>
      `a lane is throttled in ${k}: chatctl traffic status (auto sheds lower-priority work); raise its lane in chatctl.json if this is normal traffic`,
  ],
  [
    /^lane-(.+)-concurrency$/,
    (k) =>
      `a lane is near its reserved concurrency in ${k}: chatctl traffic status; consider chatctl traffic level 1 --region ${k}`,
  ],
  [
    /^lane-(.+)-duration-p99$/,
    (k) => `a lane is slow in ${k}: look at its function's duration and DynamoDB latency`,
  ],
  [
    /^fn-(.+)-errors$/,
    (k) => `a function fails in ${k}: read its logs (chatctl logs) and roll back a bad deploy`,
  ],
  [
    /^ws-connect-rate$/,
    (k) =>
      `connects in ${k} near the 500/s quota: chatctl traffic level 3 --region ${k} sheds new connections`,
  ],
  [
    /^ws-/,
    (k) => `the WebSocket API of ${k} answers errors: look at the integration (Lambda) errors and throttles`,
  ],
  [/^replication-to-(.+)$/, (k) => `replication from ${k} is late: chatctl replication lag`],
  [/^table-throttles$/, (k) => `the table throttles in ${k}: check on-demand limits and hot keys`],
  [/^relay-errors$/, (k) => `cross-region rooms miss messages from ${k}: chatctl relay test`],
  [
    /^events-dead-letters$/,
    (k) =>
      `other services miss chat events from ${k}: read the events function's logs and the pipe's dead-letter queue, fix the cause, then replay that span from the bus's archive (docs/events.md)`,
  ],
  [
    /^relay-failed-events$/,
    (k) =>
      `queued relays into ${k} were given up (members filled them from history): read the relay failure queue of ${k} (<app>-${k}-relay-failed), then purge it`,
  ],
];

export function alarmAdvice(slug: string, key: string): string {
  return (
    ALARM_ADVICE.find(([pattern]) => pattern.test(slug))?.[1](key) ?? `see the alarm in CloudWatch (${key})`
  );
}

/** Every alarm of the region in ALARM: warn (fail when the canary's, which takes the region out of DNS). */
export async function alarmsCheck(
  cloudwatch: CloudWatchClient,
  target: Target,
  region: RegionEndpoints,
  signal: AbortSignal,
): Promise<Omit<CheckResult<'alarms'>, 'name'>> {
  const prefix = names.alarmPrefix(target.topology, region.spec.key);
  const alarms = (await alarmsInAlarm(cloudwatch, prefix, signal)).map((alarm) => ({
    ...alarm,
    advice: alarmAdvice(alarm.name.slice(prefix.length), region.spec.key),
  }));
  if (alarms.length === 0) return { status: 'ok', detail: 'no alarm in ALARM', data: { alarms } };
  const canary = alarms.some((a) => a.name === `${prefix}canary`);
  return {
    status: canary ? 'fail' : 'warn',
    detail: `${alarms.length} in ALARM: ${alarms.map((a) => `${a.name} (${a.reason})`).join('; ')}`,
    action: alarms.map((a) => `${a.name}: ${a.advice}`).join('\n    -> '),
    data: { alarms },
  };
}

/** The canary's latest result in the last 10 minutes: its success (1 or 0), when, and its round trip. */
export async function canaryCheck(
  cloudwatch: CloudWatchClient,
  target: Target,
  region: RegionEndpoints,
  signal: AbortSignal,
): Promise<Omit<CheckResult<'canary'>, 'name'>> {
  if (target.sandbox && !target.sandbox.canary) {
    return { status: 'skip', detail: 'this sandbox runs no canary (chatctl sandbox up runs one)' };
  }
  const now = Date.now();
  // The judgement alarms' period (a minute on AWS, 10 s in the sandbox): a failure is shown as long as they see it.
  const period = target.timing.judgementPeriodSeconds;
  const metric = (name: string) => ({
    Namespace: metricsNamespace(target.topology.app),
    MetricName: name,
    Dimensions: [{ Name: METRIC_DIMENSION, Value: region.spec.key }],
  });
  const results = await metricData(
    cloudwatch,
    [
      {
        Id: 'success',
        MetricStat: { Metric: metric(CUSTOM_METRICS.canarySuccess), Period: period, Stat: 'Minimum' },
      },
      {
        Id: 'latency',
        MetricStat: { Metric: metric(CUSTOM_METRICS.canaryLatency), Period: period, Stat: 'Maximum' },
      },
    ],
    { start: new Date(now - 10 * 60_000), end: new Date(now + 60_000) },
    signal,
  );
  const of = (id: string) => results.find((r) => r.Id === id);
  const success = of('success');
  const latest = success?.Values?.[0];
  const at = success?.Timestamps?.[0]?.toISOString();
  if (latest === undefined) {
    return {
      status: 'warn',
      detail: 'no canary result in the last 10 minutes',
      action:
        'the canary is not running: check its schedule and function, and its log for the sign-in (on the sandbox: chatctl sandbox up runs it)',
    };
  }
  const latencyMs = of('latency')?.Values?.[0];
  if (latest < 1) {
    return {
      status: 'fail',
      detail: `the canary failed in the ${inPeriod(period)} of ${at}: connect, join or send is broken`,
      action: alarmAdvice('canary', region.spec.key),
      data: { success: latest, at },
    };
  }
  return {
    status: 'ok',
    detail: `succeeded in the ${inPeriod(period)} of ${at}${latencyMs === undefined ? '' : `, round trip up to ${Math.round(latencyMs)} ms`}`,
    ...(latencyMs === undefined ? {} : { latencyMs: Math.round(latencyMs) }),
    data: { success: latest, at, latencyMs },
  };
}

/** "minute" on AWS, "10 s period" in the sandbox. */
function inPeriod(seconds: number): string {
  return seconds === 60 ? 'minute' : `${seconds} s period`;
}
