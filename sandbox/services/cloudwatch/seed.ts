/**
 * The alarms the stacks create, seeded into each running region on a sandbox period (10 s, so a failure
 * shows in seconds): the canary alarm when the canary runs (stacks/canary.ts), and always the metric math
 * alarms (stacks/observability.ts: the client error rate, the connect rate against the quota, the table's
 * throttles), with the stacks' expressions and thresholds (core/observability.ts). Their metrics are the
 * ones the sandbox publishes (sandbox/metric-sources.ts).
 */
import { names } from '../../../core/names.js';
import {
  ALARM_THRESHOLDS,
  CUSTOM_METRICS,
  MATH_ALARMS,
  METRIC_DIMENSION,
  metricsNamespace,
  WEBSOCKET_CONNECTS_PER_SECOND_QUOTA,
} from '../../../core/observability.js';
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
};

function alarm(topology: Topology, regionKey: string, seeded: Seeded): AlarmDefinition {
  const { slug, ...definition } = seeded;
  return {
    ...definition,
    AlarmName: `${names.alarmPrefix(topology, regionKey)}${slug}`,
    EvaluationPeriods: 1,
    DatapointsToAlarm: 1,
  };
}

const actions = { ActionsEnabled: true, AlarmActions: [], OKActions: [], InsufficientDataActions: [] };

export function canaryAlarm(topology: Topology, regionKey: string): AlarmDefinition {
  return alarm(topology, regionKey, {
    slug: 'canary',
    AlarmDescription: `the chat canary fails in ${regionKey}: connect, join or send is broken; Route 53 takes the region out of DNS`,
    Namespace: metricsNamespace(topology.app),
    MetricName: CUSTOM_METRICS.canarySuccess,
    Dimensions: [{ Name: METRIC_DIMENSION, Value: regionKey }],
    Statistic: 'Minimum',
    Period: SANDBOX_ALARM_PERIOD_SECONDS,
    Threshold: 1,
    ComparisonOperator: 'LessThanThreshold',
    TreatMissingData: 'breaching',
    ...actions,
  });
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
