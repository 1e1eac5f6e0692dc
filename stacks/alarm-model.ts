/**
 * The deployed system's alarm model (core/deployment/alarms.ts) as CDK: a modelled alarm's metric or metric
 * math, and the alarm itself. The sandbox seeds the same model (sandbox/services/cloudwatch/seed.ts);
 * test/stacks/parity.test.ts holds the two together.
 */
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { AlarmMetricModel, AlarmModel, MetricStatModel } from '../core/deployment/alarms.js';

function metricOf(model: MetricStatModel): Metric {
  return new Metric({
    namespace: model.namespace,
    metricName: model.metricName,
    dimensionsMap: Object.fromEntries(model.dimensions.map((d) => [d.name, d.value])),
    statistic: model.statistic,
    period: Duration.seconds(model.periodSeconds),
  });
}

export function alarmMetric(model: AlarmMetricModel): IMetric {
  if (model.kind === 'metric') return metricOf(model);
  return new MathExpression({
    expression: model.expression,
    usingMetrics: Object.fromEntries(model.metrics.map((m) => [m.id, metricOf(m.metric)])),
    label: model.label,
    period: Duration.seconds(model.periodSeconds),
  });
}

const COMPARISON: Record<AlarmModel['comparison'], ComparisonOperator> = {
  GreaterThanOrEqualToThreshold: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  LessThanThreshold: ComparisonOperator.LESS_THAN_THRESHOLD,
};

const MISSING: Record<AlarmModel['treatMissingData'], TreatMissingData> = {
  breaching: TreatMissingData.BREACHING,
  notBreaching: TreatMissingData.NOT_BREACHING,
};

/** The modelled alarm, with no actions yet (the caller adds its topic's). */
export function alarmFromModel(scope: Construct, id: string, model: AlarmModel): Alarm {
  return new Alarm(scope, id, {
    alarmName: model.name,
    alarmDescription: model.description,
    metric: alarmMetric(model.metric),
    threshold: model.threshold,
    comparisonOperator: COMPARISON[model.comparison],
    evaluationPeriods: model.evaluationPeriods,
    treatMissingData: MISSING[model.treatMissingData],
  });
}
