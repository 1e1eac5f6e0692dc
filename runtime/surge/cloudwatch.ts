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

/** What reading another region's CloudWatch may cost the controller: it runs every minute, on its own. */
export const LAG_READ_BUDGET = { connectMs: 1000, requestMs: 3000, maxAttempts: 2 } as const;

/**
 * The replication lag into this region: Global Tables publish ReplicationLatency in the source region, per
 * ReceivingRegion, so each other region's CloudWatch is asked (at once, each within LAG_READ_BUDGET) for the
 * newest 1-minute Maximum into `receivingAwsRegion`. The lag is the largest of them; a source that answers
 * no data (nothing replicated in the window) counts 0, one that fails is left out. Undefined when every
 * source failed: nothing is known, and the stored lag stays as it was.
 */
export async function readInboundReplicationLag(
  sources: readonly { awsRegion: string; cloudwatch: CloudWatchClient }[],
  tableName: string,
  receivingAwsRegion: string,
  options: { now: number; windowMs?: number; onError?: (awsRegion: string, error: Error) => void },
): Promise<number | undefined> {
  const reads = await Promise.all(
    sources.map(async ({ awsRegion, cloudwatch }) => {
      try {
        const page = await cloudwatch.send(
          new GetMetricDataCommand({
            MetricDataQueries: [
              {
                Id: 'lag',
                ReturnData: true,
                MetricStat: {
                  Metric: {
                    Namespace: 'AWS/DynamoDB',
                    MetricName: 'ReplicationLatency',
                    Dimensions: [
                      { Name: 'TableName', Value: tableName },
                      { Name: 'ReceivingRegion', Value: receivingAwsRegion },
                    ],
                  },
                  Period: 60,
                  Stat: 'Maximum',
                },
              },
            ],
            StartTime: new Date(options.now - (options.windowMs ?? 5 * 60_000)),
            EndTime: new Date(options.now),
            ScanBy: 'TimestampDescending',
          }),
        );
        // Newest first: the latest minute that had replication.
        return page.MetricDataResults?.[0]?.Values?.[0] ?? 0;
      } catch (error) {
        options.onError?.(awsRegion, error as Error);
        return undefined;
      }
    }),
  );
  const known = reads.filter((v): v is number => v !== undefined);
  return known.length > 0 ? Math.max(0, ...known) : undefined;
}
