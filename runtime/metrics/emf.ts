/**
 * CloudWatch embedded metric format: a metric is one JSON log line that CloudWatch Logs turns into a metric,
 * with no PutMetricData call on the hot path. Written straight to stdout (not console.log, which the Lambda
 * runtime prefixes with a timestamp and request id, so the line would no longer be the JSON object).
 */
import { METRIC_DIMENSION } from '../../core/observability.js';

export type MetricUnit = 'Count' | 'Milliseconds' | 'None';

export interface MetricValue {
  readonly name: string;
  readonly value: number;
  readonly unit: MetricUnit;
}

/** Where metric lines go: stdout on Lambda; the sandbox (and tests) pass their own. */
export type MetricSink = (line: string) => void;

/** stdout when running on Lambda, nowhere otherwise (a sandbox run must not flood the terminal). */
export function defaultMetricSink(env: NodeJS.ProcessEnv = process.env): MetricSink {
  return env.AWS_LAMBDA_FUNCTION_NAME ? (line) => process.stdout.write(`${line}\n`) : () => {};
}

/** One EMF line: the metrics under `namespace`, dimensioned by the region key. */
export function emfLine(
  namespace: string,
  region: string,
  metrics: readonly MetricValue[],
  timestamp = Date.now(),
  properties: Readonly<Record<string, string | number | boolean>> = {},
): string {
  const document: Record<string, unknown> = {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [[METRIC_DIMENSION]],
          Metrics: metrics.map((m) => ({ Name: m.name, Unit: m.unit })),
        },
      ],
    },
    ...properties,
    [METRIC_DIMENSION]: region,
  };
  for (const m of metrics) document[m.name] = m.value;
  return JSON.stringify(document);
}
