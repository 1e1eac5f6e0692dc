/**
 * The alarms the stacks create, seeded into each running region on a sandbox period (10 s, so a failure
 * shows in seconds): the canary alarm when the canary runs (stacks/canary.ts), and always every alarm of
 * stacks/observability.ts: the metric math ones (the client error rate, the connect rate against the quota,
 * the table's throttles) and the single-metric ones (API errors, each function's errors, each lane's
 * throttles, concurrency and p99, replication per pair, the relay's errors), with the stacks' expressions,
 * thresholds and evaluation periods (core/observability.ts). Their metrics are the
 * ones the sandbox publishes (sandbox/metric-sources.ts).
 */
import { names } from '../../../core/names.js';
import {
  ALARM_THRESHOLDS,
  CUSTOM_METRICS,
  MATH_ALARMS,
  METRIC_DIMENSION,
  type MetricAlarmSpec,
  metricsNamespace,
  singleMetricAlarmSpecs,
  WEBSOCKET_CONNECTS_PER_SECOND_QUOTA,
} from '../../../core/observability.js';
import { ROUTES } from '../../../core/protocol.js';
import {
  CANARY_ALARM_EVALUATION_PERIODS,
  canaryJudges,
  JUDGE_DIMENSION,
  judgementAlarmSlug,
} from '../../../core/routing-health.js';
import type { Topology } from '../../../core/topology.js';
import type { RegionRuntimeInfo } from '../../contracts.js';
import type { AlarmDefinition } from './alarms.js';
import { parseExpression } from './math.js';
import type { MetricId } from './metrics.js';
import type { MetricQuery } from './queries.js';

/** The period of every seeded alarm (the stacks' are one and five minutes). */
export const SANDBOX_ALARM_PERIOD_SECONDS = 10;

const STAGE = 'prod';

type Seeded = Omit<AlarmDefinition, 'AlarmName' | 'EvaluationPeriods' | 'DatapointsToAlarm'> & {
  readonly slug: string;
  readonly evaluationPeriods?: number;
};

function alarm(topology: Topology, regionKey: string, seeded: Seeded): AlarmDefinition {
  const { slug, evaluationPeriods = 1, ...definition } = seeded;
  return {
    ...definition,
    AlarmName: `${names.alarmPrefix(topology, regionKey)}${slug}`,
    EvaluationPeriods: evaluationPeriods,
    DatapointsToAlarm: evaluationPeriods,
  };
}

const actions = { ActionsEnabled: true, AlarmActions: [], OKActions: [], InsufficientDataActions: [] };

export function canaryAlarm(topology: Topology, regionKey: string): AlarmDefinition {
  return judgementAlarm(topology, regionKey, regionKey);
}

/**
 * One judge's alarm on a region (stacks/canary.ts): the region's own canary under Region alone, an outside
 * judge under Region and Judge; two failed or missing periods in a row are ALARM.
 */
export function judgementAlarm(topology: Topology, judged: string, judge: string): AlarmDefinition {
  return alarm(topology, judged, {
    slug: judgementAlarmSlug(judged, judge),
    AlarmDescription:
      judge === judged
        ? `the chat canary fails in ${judged}: connect, join or send is broken; one of the judges Route 53 routes ${judged} by`
        : `the chat canary of ${judge} fails on ${judged}'s chat (or stops reporting); one of the judges Route 53 routes ${judged} by`,
    Namespace: metricsNamespace(topology.app),
    MetricName: CUSTOM_METRICS.canarySuccess,
    Dimensions: [
      { Name: METRIC_DIMENSION, Value: judged },
      ...(judge === judged ? [] : [{ Name: JUDGE_DIMENSION, Value: judge }]),
    ],
    Statistic: 'Minimum',
    Period: SANDBOX_ALARM_PERIOD_SECONDS,
    evaluationPeriods: CANARY_ALARM_EVALUATION_PERIODS,
    Threshold: 1,
    ComparisonOperator: 'LessThanThreshold',
    TreatMissingData: 'breaching',
    ...actions,
  });
}

/** Every judgement alarm of a region: its own canary's and each outside judge's. */
export function judgementAlarms(topology: Topology, judged: string): AlarmDefinition[] {
  return canaryJudges(topology, judged).map((judge) => judgementAlarm(topology, judged, judge));
}

function sum(id: string, metric: MetricId): MetricQuery {
  return {
    id,
    metricStat: { metric, periodSeconds: SANDBOX_ALARM_PERIOD_SECONDS, stat: 'Sum' },
    returnData: false,
  };
}

function math(id: string, expression: string, label: string, metrics: readonly MetricQuery[]) {
  const parsed = parseExpression(expression);
  return [...metrics, { id, expression, parsed, label, returnData: true }];
}

/** The stacks' metric math alarms of one region, as the sandbox evaluates them. */
export function mathAlarms(topology: Topology, region: RegionRuntimeInfo): AlarmDefinition[] {
  const api = (name: string): MetricId => ({
    namespace: 'AWS/ApiGateway',
    name,
    dimensions: [
      { Name: 'ApiId', Value: region.apiId },
      { Name: 'Stage', Value: STAGE },
    ],
  });
  const table = (name: string): MetricId => ({
    namespace: 'AWS/DynamoDB',
    name,
    dimensions: [{ Name: 'TableName', Value: names.table(topology) }],
  });
  const t = ALARM_THRESHOLDS;
  const base = {
    Period: SANDBOX_ALARM_PERIOD_SECONDS,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
    ...actions,
  } as const;
  const { clientErrorRate, connectRate, tableThrottles } = MATH_ALARMS;
  return [
    alarm(topology, region.key, {
      ...base,
      slug: clientErrorRate.slug,
      AlarmDescription: clientErrorRate.description,
      Threshold: t.clientErrorPercent,
      Metrics: math('e1', clientErrorRate.expression, 'client errors, % of messages', [
        sum('c', api('ClientError')),
        sum('m', api('MessageCount')),
      ]),
    }),
    alarm(topology, region.key, {
      ...base,
      slug: connectRate.slug,
      AlarmDescription: connectRate.description,
      Threshold: WEBSOCKET_CONNECTS_PER_SECOND_QUOTA * t.connectQuotaShare,
      Metrics: math(
        'e1',
        connectRate.expression(SANDBOX_ALARM_PERIOD_SECONDS),
        'new connections per second',
        [sum('c', api('ConnectCount'))],
      ),
    }),
    alarm(topology, region.key, {
      ...base,
      slug: tableThrottles.slug,
      AlarmDescription: tableThrottles.description,
      Threshold: t.tableThrottles,
      Metrics: math('e1', tableThrottles.expression, 'throttled reads + writes', [
        sum('r', table('ReadThrottleEvents')),
        sum('w', table('WriteThrottleEvents')),
      ]),
    }),
  ];
}

/** The routes with a function in a region's stack (the analytics stream is the home region's, apart). */
const REGION_ROUTES = ROUTES.filter((r) => r !== 'stream');

/**
 * The stacks' single-metric alarms of one region (core/observability.ts), with the dimension values the
 * sandbox publishes them under (sandbox/metric-sources.ts): its API id and stage, its functions' names, the
 * table and the receiving region of each pair, the region key. Each keeps its evaluation periods.
 */
export function singleMetricAlarms(topology: Topology, region: RegionRuntimeInfo): AlarmDefinition[] {
  const dimensionsOf = (spec: MetricAlarmSpec): Pick<AlarmDefinition, 'Namespace' | 'Dimensions'> => {
    const { source } = spec;
    if (source.kind === 'api') {
      return {
        Namespace: 'AWS/ApiGateway',
        Dimensions: [
          { Name: 'ApiId', Value: region.apiId },
          { Name: 'Stage', Value: STAGE },
        ],
      };
    }
    if (source.kind === 'function') {
      return {
        Namespace: 'AWS/Lambda',
        Dimensions: [{ Name: 'FunctionName', Value: names.function(topology, region.key, source.route) }],
      };
    }
    if (source.kind === 'replication') {
      const to = topology.regions.find((r) => r.key === source.to);
      return {
        Namespace: 'AWS/DynamoDB',
        Dimensions: [
          { Name: 'TableName', Value: names.table(topology) },
          { Name: 'ReceivingRegion', Value: to?.awsRegion ?? source.to },
        ],
      };
    }
    if (source.kind === 'relay-failure-queue') {
      return {
        Namespace: 'AWS/SQS',
        Dimensions: [{ Name: 'QueueName', Value: names.relayFailureQueue(topology, region.key) }],
      };
    }
    return {
      Namespace: metricsNamespace(topology.app),
      Dimensions: [{ Name: METRIC_DIMENSION, Value: region.key }],
    };
  };
  return singleMetricAlarmSpecs(topology, region.key, REGION_ROUTES).map((spec) =>
    alarm(topology, region.key, {
      slug: spec.slug,
      AlarmDescription: spec.description,
      ...dimensionsOf(spec),
      MetricName: spec.metricName,
      ...(spec.statistic.startsWith('p')
        ? { ExtendedStatistic: spec.statistic }
        : { Statistic: spec.statistic }),
      Period: SANDBOX_ALARM_PERIOD_SECONDS,
      evaluationPeriods: spec.evaluationPeriods,
      Threshold: spec.threshold,
      ComparisonOperator: spec.comparison,
      TreatMissingData: 'notBreaching',
      ...actions,
    }),
  );
}
