/**
 * The alarms the stacks create, seeded into each running region from the deployed system's model
 * (core/deployment/alarms.ts, the one the stacks build from): every alarm of stacks/observability.ts, metric
 * math and single-metric, and with the canary every alarm of stacks/canary.ts. Only their period is the
 * sandbox's (10 s, so a failure shows in seconds), and their dimension values are the sandbox's own (its API
 * ids); their metrics are the ones the sandbox publishes (sandbox/metric-sources.ts).
 */
import {
  type AlarmModel,
  canaryAlarms,
  type MetricStatModel,
  observabilityAlarms,
} from '../../../core/deployment/alarms.js';
import type { Topology } from '../../../core/topology.js';
import type { RegionRuntimeInfo } from '../../contracts.js';
import type { AlarmDefinition } from './alarms.js';
import { parseExpression } from './math.js';
import type { MetricId } from './metrics.js';
import type { MetricQuery } from './queries.js';

/** The period of every seeded alarm (the stacks' are one and five minutes). */
export const SANDBOX_ALARM_PERIOD_SECONDS = 10;

const PERIOD = { periodSeconds: SANDBOX_ALARM_PERIOD_SECONDS };

const actions = { ActionsEnabled: true, AlarmActions: [], OKActions: [], InsufficientDataActions: [] };

function metricId(model: MetricStatModel): MetricId {
  return {
    namespace: model.namespace,
    name: model.metricName,
    dimensions: model.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
  };
}

const isExtended = (statistic: string) => /^p\d/.test(statistic);

/** A modelled alarm as CloudWatch's PutMetricAlarm would have stored it. */
export function alarmDefinition(model: AlarmModel): AlarmDefinition {
  const { metric } = model;
  const common = {
    AlarmName: model.name,
    AlarmDescription: model.description,
    Period: metric.periodSeconds,
    EvaluationPeriods: model.evaluationPeriods,
    DatapointsToAlarm: model.evaluationPeriods,
    Threshold: model.threshold,
    ComparisonOperator: model.comparison,
    TreatMissingData: model.treatMissingData,
    ...actions,
  };
  if (metric.kind === 'metric') {
    const { namespace, name, dimensions } = metricId(metric);
    return {
      ...common,
      Namespace: namespace,
      MetricName: name,
      Dimensions: dimensions,
      ...(isExtended(metric.statistic)
        ? { ExtendedStatistic: metric.statistic }
        : { Statistic: metric.statistic }),
    };
  }
  const inputs: MetricQuery[] = metric.metrics.map((m) => ({
    id: m.id,
    metricStat: {
      metric: metricId(m.metric),
      periodSeconds: m.metric.periodSeconds,
      stat: m.metric.statistic,
    },
    returnData: false,
  }));
  const expression: MetricQuery = {
    id: 'e1',
    expression: metric.expression,
    parsed: parseExpression(metric.expression),
    label: metric.label,
    returnData: true,
  };
  return { ...common, Metrics: [...inputs, expression] };
}

/** The alarms of a region's observability, with its API id, on the sandbox's period. */
export function observabilityAlarmDefinitions(
  topology: Topology,
  region: RegionRuntimeInfo,
): AlarmDefinition[] {
  return observabilityAlarms(topology, region.key, { apiId: region.apiId }, PERIOD).map(alarmDefinition);
}

/** The canary's alarms of a region: each judge's judgement and the round trip's p99. */
export function canaryAlarmDefinitions(topology: Topology, key: string): AlarmDefinition[] {
  return canaryAlarms(topology, key, PERIOD).map(alarmDefinition);
}
