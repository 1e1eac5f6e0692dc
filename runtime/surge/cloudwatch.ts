/**
 * The controller's reading on AWS: each lane's Lambda metrics over the last minutes, from one GetMetricData
 * call. ConcurrentExecutions (Maximum), Throttles, Invocations and Errors (Sum) per FunctionName, in 1-minute
 * periods (Lambda publishes them each minute; the newest minute may still be missing, hence the window).
 */
import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import type { LaneReading, Utilization } from './controller.js';

/** A lane the controller measures: its function and its reserved concurrency. */
export interface LaneSpec {
  readonly functionName: string;
  readonly reserved: number;
}

const LAMBDA_METRICS = [
  ['concurrency', 'ConcurrentExecutions', 'Maximum'],
  ['throttles', 'Throttles', 'Sum'],
  ['invocations', 'Invocations', 'Sum'],
  ['errors', 'Errors', 'Sum'],
] as const;

type Field = (typeof LAMBDA_METRICS)[number][0];

export function laneQueries(lanes: Readonly<Record<string, LaneSpec>>): MetricDataQuery[] {
  return Object.entries(lanes).flatMap(([, lane], index) =>
    LAMBDA_METRICS.map(([field, metricName, stat]) => ({
      Id: `${field}_${index}`,
      ReturnData: true,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/Lambda',
          MetricName: metricName,
          Dimensions: [{ Name: 'FunctionName', Value: lane.functionName }],
        },
        Period: 60,
        Stat: stat,
      },
    })),
  );
}

export async function readLaneUtilization(
  cloudwatch: CloudWatchClient,
  lanes: Readonly<Record<string, LaneSpec>>,
  options: { now: number; windowMs?: number },
): Promise<Utilization> {
  const routes = Object.keys(lanes);
  const values = new Map<string, number[]>();
  const queries = laneQueries(lanes);
  // GetMetricData takes at most 500 queries per call; 4 per lane stays far below for any topology.
  let nextToken: string | undefined;
  do {
    const page = await cloudwatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: new Date(options.now - (options.windowMs ?? 3 * 60_000)),
        EndTime: new Date(options.now),
        NextToken: nextToken,
      }),
    );
    for (const result of page.MetricDataResults ?? []) {
      if (!result.Id) continue;
      values.set(result.Id, [...(values.get(result.Id) ?? []), ...(result.Values ?? [])]);
    }
    nextToken = page.NextToken;
  } while (nextToken);

  const readings: LaneReading[] = routes.map((route, index) => {
    const of = (field: Field) => values.get(`${field}_${index}`) ?? [];
    const sum = (field: Field) => of(field).reduce((a, b) => a + b, 0);
    return {
      route,
      // The peak of the window: a surge that lasted one minute counts.
      concurrency: Math.max(0, ...of('concurrency')),
      reserved: lanes[route].reserved,
      throttles: sum('throttles'),
      invocations: sum('invocations'),
      errors: sum('errors'),
    };
  });
  return { at: options.now, lanes: readings };
}
