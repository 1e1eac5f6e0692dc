/** CloudWatch for the on-call checks: the alarms in ALARM under a prefix (paged), and a metric query's results. */
import type { CloudWatchClient, MetricDataQuery, MetricDataResult } from '@aws-sdk/client-cloudwatch';

export interface AlarmInAlarm {
  readonly name: string;
  readonly reason: string;
  readonly since?: string;
}

export async function alarmsInAlarm(
  client: CloudWatchClient,
  prefix: string,
  signal?: AbortSignal,
): Promise<AlarmInAlarm[]> {
  const { DescribeAlarmsCommand } = await import('@aws-sdk/client-cloudwatch');
  const alarms: AlarmInAlarm[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, StateValue: 'ALARM', NextToken: nextToken }),
      { abortSignal: signal },
    );
    for (const alarm of page.MetricAlarms ?? []) {
      alarms.push({
        name: alarm.AlarmName ?? '',
        reason: alarm.StateReason ?? '',
        since: alarm.StateUpdatedTimestamp?.toISOString(),
      });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return alarms;
}

/** GetMetricData over [start, end], newest first unless the window says otherwise. */
export async function metricData(
  client: CloudWatchClient,
  queries: MetricDataQuery[],
  window: { start: Date; end: Date; scanBy?: 'TimestampAscending' | 'TimestampDescending' },
  signal?: AbortSignal,
): Promise<MetricDataResult[]> {
  const { GetMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
  const out = await client.send(
    new GetMetricDataCommand({
      StartTime: window.start,
      EndTime: window.end,
      ScanBy: window.scanBy ?? 'TimestampDescending',
      MetricDataQueries: queries,
    }),
    { abortSignal: signal },
  );
  return out.MetricDataResults ?? [];
}
