/**
 * The CloudWatch alarms of the deployed system, as plain data: every alarm of a region's stack (its
 * observability and its canary's judgements), with its metric or metric math, its dimensions' values, its
 * threshold and how it treats missing data. The stacks build their AWS::CloudWatch::Alarm resources from it
 * (stacks/alarm-model.ts) and the sandbox's CloudWatch seeds its alarms from it
 * (sandbox/services/cloudwatch/seed.ts), on the sandbox's short period; test/stacks/parity.test.ts compares
 * the two through DescribeAlarms. The thresholds and single-metric specs are core/observability.ts's.
 */
import { names, WEBSOCKET_STAGE } from '../names.js';
import {
  ALARM_THRESHOLDS,
  CUSTOM_METRICS,
  MATH_ALARMS,
  METRIC_DIMENSION,
  type MetricAlarmSpec,
  metricsNamespace,
  singleMetricAlarmSpecs,
  WEBSOCKET_CONNECTS_PER_SECOND_QUOTA,
} from '../observability.js';
import { ROUTES, type Route } from '../protocol.js';
import {
  CANARY_ALARM_EVALUATION_PERIODS,
  CANARY_ALARM_PERIOD_SECONDS,
  canaryJudges,
  JUDGE_DIMENSION,
  judgementAlarmSlug,
} from '../routing-health.js';
import type { Topology } from '../topology.js';

export interface MetricStatModel {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: readonly { readonly name: string; readonly value: string }[];
  /** A basic statistic, or an extended one (p99). */
  readonly statistic: string;
  readonly periodSeconds: number;
}

export type AlarmMetricModel =
  | ({ readonly kind: 'metric' } & MetricStatModel)
  | {
      readonly kind: 'math';
      readonly expression: string;
      readonly label: string;
      readonly periodSeconds: number;
      /** The expression's inputs by id, each over the expression's period. */
      readonly metrics: readonly { readonly id: string; readonly metric: MetricStatModel }[];
    };

export type AlarmComparison = 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold';

export interface AlarmModel {
  /** After the region's alarm prefix (names.alarmPrefix). */
  readonly slug: string;
  readonly name: string;
  readonly description: string;
  readonly metric: AlarmMetricModel;
  readonly threshold: number;
  readonly comparison: AlarmComparison;
  readonly evaluationPeriods: number;
  readonly treatMissingData: 'breaching' | 'notBreaching';
  /** A canary judgement (the judge's key), the canary's latency, or one of the region's observability alarms. */
  readonly judge?: string;
  readonly canaryLatency?: true;
}

/** What only the running system knows: the region's WebSocket API id (a token in the stacks). */
export interface AlarmRefs {
  readonly apiId: string;
}

export interface AlarmOptions {
  /** Every period in seconds (the sandbox's short one); default AWS's one or five minutes per alarm. */
  readonly periodSeconds?: number;
}

/** The routes with a function in a region's stack (the analytics stream is the home region's, apart). */
export function regionFunctionRoutes(): Route[] {
  return ROUTES.filter((r) => r !== 'stream');
}

const MINUTE = 60;

/**
 * The alarms of a region's observability (stacks/observability.ts), in the order it makes them: the WebSocket
 * API's, its metric math ones, every function's and lane's, replication to every other region, the table's
 * throttles, the relay's errors and its given-up events.
 */
export function observabilityAlarms(
  topology: Topology,
  key: string,
  refs: AlarmRefs,
  options: AlarmOptions = {},
): AlarmModel[] {
  const period = (seconds: number) => options.periodSeconds ?? seconds;
  const single = singleMetricAlarmSpecs(topology, key, regionFunctionRoutes()).map((spec) =>
    singleAlarm(topology, key, refs, spec, period(spec.periodMinutes * MINUTE)),
  );
  const api = (metricName: string, seconds: number): MetricStatModel => ({
    namespace: 'AWS/ApiGateway',
    metricName,
    dimensions: apiDimensions(refs),
    statistic: 'Sum',
    periodSeconds: seconds,
  });
  const table = (metricName: string, seconds: number): MetricStatModel => ({
    namespace: 'AWS/DynamoDB',
    metricName,
    dimensions: [{ name: 'TableName', value: names.table(topology) }],
    statistic: 'Sum',
    periodSeconds: seconds,
  });
  const math = (
    spec: { slug: string; description: string },
    threshold: number,
    seconds: number,
    expression: string,
    label: string,
    metrics: Record<string, (seconds: number) => MetricStatModel>,
  ): AlarmModel => ({
    slug: spec.slug,
    name: `${names.alarmPrefix(topology, key)}${spec.slug}`,
    description: spec.description,
    metric: {
      kind: 'math',
      expression,
      label,
      periodSeconds: seconds,
      metrics: Object.entries(metrics).map(([id, metric]) => ({ id, metric: metric(seconds) })),
    },
    threshold,
    comparison: 'GreaterThanOrEqualToThreshold',
    evaluationPeriods: 1,
    treatMissingData: 'notBreaching',
  });
  const t = ALARM_THRESHOLDS;
  const { clientErrorRate, connectRate, tableThrottles } = MATH_ALARMS;
  const connectPeriod = period(MINUTE);
  const apiAlarms = single.filter((a) => a.slug.startsWith('ws-'));
  const rest = single.filter((a) => !a.slug.startsWith('ws-'));
  const relay = rest.filter((a) => a.slug.startsWith('relay-'));
  return [
    ...apiAlarms,
    math(
      clientErrorRate,
      t.clientErrorPercent,
      period(5 * MINUTE),
      clientErrorRate.expression,
      'client errors, % of messages',
      { c: (s) => api('ClientError', s), m: (s) => api('MessageCount', s) },
    ),
    math(
      connectRate,
      WEBSOCKET_CONNECTS_PER_SECOND_QUOTA * t.connectQuotaShare,
      connectPeriod,
      connectRate.expression(connectPeriod),
      'new connections per second',
      { c: (s) => api('ConnectCount', s) },
    ),
    ...rest.filter((a) => !a.slug.startsWith('relay-')),
    math(
      tableThrottles,
      t.tableThrottles,
      period(5 * MINUTE),
      tableThrottles.expression,
      'throttled reads + writes',
      { r: (s) => table('ReadThrottleEvents', s), w: (s) => table('WriteThrottleEvents', s) },
    ),
    ...relay,
  ];
}

/**
 * The canary's alarms in a region (stacks/canary.ts): its own judgement, its round trip's p99 (pages, steers
 * nothing), and each outside judge's judgement, published into this region under Region and Judge. Two failed
 * or missing periods in a row are ALARM: a canary that stops reporting fails its region.
 */
export function canaryAlarms(topology: Topology, key: string, options: AlarmOptions = {}): AlarmModel[] {
  const prefix = names.alarmPrefix(topology, key);
  const canary = (
    metricName: string,
    statistic: string,
    seconds: number,
    judge?: string,
  ): AlarmMetricModel => ({
    kind: 'metric',
    namespace: metricsNamespace(topology.app),
    metricName,
    dimensions: [
      { name: METRIC_DIMENSION, value: key },
      ...(judge === undefined || judge === key ? [] : [{ name: JUDGE_DIMENSION, value: judge }]),
    ],
    statistic,
    periodSeconds: options.periodSeconds ?? seconds,
  });
  const judgement = (judge: string): AlarmModel => ({
    slug: judgementAlarmSlug(key, judge),
    name: `${prefix}${judgementAlarmSlug(key, judge)}`,
    description:
      judge === key
        ? `the chat canary fails in ${key}: connect, join or send is broken; Route 53 takes the region out of DNS`
        : `the chat canary of ${judge} fails on ${key}'s chat (or stops reporting); one of the judges Route 53 routes ${key} by`,
    metric: canary(CUSTOM_METRICS.canarySuccess, 'Minimum', CANARY_ALARM_PERIOD_SECONDS, judge),
    threshold: 1,
    comparison: 'LessThanThreshold',
    evaluationPeriods: CANARY_ALARM_EVALUATION_PERIODS,
    treatMissingData: 'breaching',
    judge,
  });
  const [own, ...outside] = canaryJudges(topology, key);
  return [
    judgement(own),
    {
      slug: 'canary-latency',
      name: `${prefix}canary-latency`,
      description: `the chat canary's round trip in ${key} is slow (pages, does not steer DNS)`,
      metric: canary(CUSTOM_METRICS.canaryLatency, 'p99', 5 * MINUTE),
      threshold: CANARY_LATENCY_P99_MS,
      comparison: 'GreaterThanOrEqualToThreshold',
      evaluationPeriods: 1,
      treatMissingData: 'notBreaching',
      canaryLatency: true,
    },
    ...outside.map(judgement),
  ];
}

/** The canary's round trip p99 that pages. */
export const CANARY_LATENCY_P99_MS = 2000;

/** Every alarm of a region: its observability's and, with the canary (the stacks always deploy it), the canary's. */
export function regionAlarms(
  topology: Topology,
  key: string,
  refs: AlarmRefs,
  options: AlarmOptions & { readonly canary: boolean },
): AlarmModel[] {
  return [
    ...observabilityAlarms(topology, key, refs, options),
    ...(options.canary ? canaryAlarms(topology, key, options) : []),
  ];
}

function apiDimensions(refs: AlarmRefs): MetricStatModel['dimensions'] {
  return [
    { name: 'ApiId', value: refs.apiId },
    { name: 'Stage', value: WEBSOCKET_STAGE },
  ];
}

function singleAlarm(
  topology: Topology,
  key: string,
  refs: AlarmRefs,
  spec: MetricAlarmSpec,
  periodSeconds: number,
): AlarmModel {
  const { source } = spec;
  const metric = (
    namespace: string,
    dimensions: readonly (readonly [string, string])[],
  ): AlarmMetricModel => ({
    kind: 'metric',
    namespace,
    metricName: spec.metricName,
    dimensions: dimensions.map(([name, value]) => ({ name, value })),
    statistic: spec.statistic,
    periodSeconds,
  });
  const awsRegionOf = (k: string) => {
    const region = topology.regions.find((r) => r.key === k);
    if (!region) throw new Error(`no region ${k} in the topology`);
    return region.awsRegion;
  };
  return {
    slug: spec.slug,
    name: `${names.alarmPrefix(topology, key)}${spec.slug}`,
    description: spec.description,
    metric:
      source.kind === 'api'
        ? metric(
            'AWS/ApiGateway',
            apiDimensions(refs).map((d) => [d.name, d.value] as const),
          )
        : source.kind === 'function'
          ? metric('AWS/Lambda', [['FunctionName', names.function(topology, key, source.route)]])
          : source.kind === 'replication'
            ? metric('AWS/DynamoDB', [
                ['TableName', names.table(topology)],
                ['ReceivingRegion', awsRegionOf(source.to)],
              ])
            : source.kind === 'relay-failure-queue'
              ? metric('AWS/SQS', [['QueueName', names.relayFailureQueue(topology, key)]])
              : metric(metricsNamespace(topology.app), [[METRIC_DIMENSION, key]]),
    threshold: spec.threshold,
    comparison: spec.comparison,
    evaluationPeriods: spec.evaluationPeriods,
    treatMissingData: 'notBreaching',
  };
}
