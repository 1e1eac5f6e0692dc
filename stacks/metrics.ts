/**
 * The CloudWatch metrics the alarms and dashboards are built from, by their documented names and dimensions:
 * AWS/ApiGateway for WebSocket APIs (ApiId, Stage), AWS/Lambda (FunctionName), AWS/DynamoDB (TableName, and
 * ReceivingRegion for ReplicationLatency, emitted in the source region), and the app's own custom metrics
 * (core/observability.ts, dimension Region). Functions are named by the topology (core/names.ts), so a
 * dashboard in one region can chart another region's functions without a cross-region reference.
 */
import { Duration } from 'aws-cdk-lib';
import { MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { MATH_ALARMS, METRIC_DIMENSION, metricsNamespace } from '../core/observability.js';
import type { Topology } from '../core/topology.js';

export { WEBSOCKET_CONNECTS_PER_SECOND_QUOTA } from '../core/observability.js';

const MINUTE = Duration.minutes(1);

export type Statistic = 'Sum' | 'Average' | 'Maximum' | 'Minimum' | 'p99' | 'SampleCount';

export function webSocketMetric(
  apiId: string,
  stage: string,
  metricName: string,
  statistic: Statistic = 'Sum',
) {
  return new Metric({
    namespace: 'AWS/ApiGateway',
    metricName,
    dimensionsMap: { ApiId: apiId, Stage: stage },
    statistic,
    period: MINUTE,
  });
}

export type LambdaMetricName = 'Errors' | 'Throttles' | 'ConcurrentExecutions' | 'Duration' | 'Invocations';

export function lambdaMetric(
  functionName: string,
  metricName: LambdaMetricName,
  statistic: Statistic,
  options: { region?: string; label?: string } = {},
) {
  return new Metric({
    namespace: 'AWS/Lambda',
    metricName,
    dimensionsMap: { FunctionName: functionName },
    statistic,
    period: MINUTE,
    ...options,
  });
}

/** ReplicationLatency from `sourceAwsRegion`'s replica to `receivingAwsRegion`'s (published in the source). */
export function replicationLatency(tableName: string, sourceAwsRegion: string, receivingAwsRegion: string) {
  return new Metric({
    namespace: 'AWS/DynamoDB',
    metricName: 'ReplicationLatency',
    dimensionsMap: { TableName: tableName, ReceivingRegion: receivingAwsRegion },
    statistic: 'Average',
    period: MINUTE,
    region: sourceAwsRegion,
  });
}

/** An SQS queue's metric, by its name (SQS publishes these every minute). */
export function queueMetric(queueName: string, metricName: string, statistic: Statistic) {
  return new Metric({
    namespace: 'AWS/SQS',
    metricName,
    dimensionsMap: { QueueName: queueName },
    statistic,
    period: MINUTE,
  });
}

/** Read plus write throttle events of the table's replica in this region. */
export function tableThrottles(tableName: string) {
  const events = (metricName: string) =>
    new Metric({
      namespace: 'AWS/DynamoDB',
      metricName,
      dimensionsMap: { TableName: tableName },
      statistic: 'Sum',
      period: MINUTE,
    });
  return new MathExpression({
    expression: MATH_ALARMS.tableThrottles.expression,
    usingMetrics: { r: events('ReadThrottleEvents'), w: events('WriteThrottleEvents') },
    label: 'throttled reads + writes',
    period: MINUTE,
  });
}

export function customMetric(
  topology: Topology,
  regionKey: string,
  metricName: string,
  statistic: Statistic,
  options: { region?: string; label?: string } = {},
) {
  return new Metric({
    namespace: metricsNamespace(topology.app),
    metricName,
    dimensionsMap: { [METRIC_DIMENSION]: regionKey },
    statistic,
    period: MINUTE,
    ...options,
  });
}

/** A lane's utilization in percent: peak concurrency over its reserved concurrency. */
export function laneUtilization(
  functionName: string,
  reserved: number,
  options: { region?: string; label?: string } = {},
) {
  // Metric ids are unique per graph: several lanes share one widget.
  const id = `c_${functionName.replace(/[^A-Za-z0-9_]/g, '_')}`;
  return new MathExpression({
    expression: `100 * ${id} / ${reserved}`,
    usingMetrics: {
      [id]: lambdaMetric(functionName, 'ConcurrentExecutions', 'Maximum', { region: options.region }),
    },
    label: options.label ?? functionName,
    period: MINUTE,
  });
}
