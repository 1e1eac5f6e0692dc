/**
 * Over 400 lines because it holds one small function per operation, each validating its input as CloudWatch
 * does, over the one metric and alarm store.
 *
 * CloudWatch's operations in the sandbox, each taking the input in its JSON shape (./protocol.ts decodes all
 * three protocols into it) and returning the result in that shape: PutMetricData, GetMetricData,
 * GetMetricStatistics, ListMetrics, PutMetricAlarm, DescribeAlarms, SetAlarmState, DeleteAlarms. Parameters
 * are validated as CloudWatch validates them, with its error codes.
 */

import type { Operations, Operation as WireOperation } from '../../wire/rpc.js';
import { ServiceError } from '../../wire/service-error.js';
import {
  ALARM_STATES,
  type Alarm,
  type AlarmDefinition,
  type AlarmState,
  type AlarmStore,
  COMPARISONS,
  type Comparison,
  type TreatMissingData,
} from './alarms.js';
import { BASIC_STATISTICS, isStatistic, type MetricId, type MetricStore, statistic } from './metrics.js';
import { bool, type Input, invalid, list, num, str, strings, time } from './protocol.js';
import {
  dimensions,
  evaluateQueries,
  gridOf,
  type MetricQuery,
  type MetricStatQuery,
  metricOf,
  period,
  periodOf,
  queryToWire,
  readQueries,
} from './queries.js';

export interface CloudWatchState {
  readonly metrics: MetricStore;
  readonly alarms: AlarmStore;
  now(): number;
}

type Operation = WireOperation<CloudWatchState>;

const PAGE = 500;

function token(input: Input): number {
  const next = str(input, 'NextToken');
  if (next === undefined) return 0;
  const offset = Number(Buffer.from(next, 'base64url').toString('utf8'));
  if (!Number.isInteger(offset) || offset < 0) invalid('The NextToken is invalid.');
  return offset;
}

function nextToken(offset: number, total: number, size: number): string | undefined {
  return offset + size < total ? Buffer.from(String(offset + size)).toString('base64url') : undefined;
}

const putMetricData: Operation = (state, input, { region }) => {
  const namespace = str(input, 'Namespace', true) as string;
  if (namespace.startsWith('AWS/')) {
    invalid(`The value ${namespace} for parameter Namespace is invalid.`);
  }
  const data = list(input, 'MetricData');
  if (data.length === 0)
    throw new ServiceError(400, 'MissingParameter', 'The parameter MetricData is required.');
  if (data.length > 1000) invalid('The collection MetricData must not have more than 1000 members.');
  const now = state.now();
  for (const entry of data) {
    const id: MetricId = {
      namespace,
      name: str(entry, 'MetricName', true) as string,
      dimensions: dimensions(entry),
    };
    const at = time(entry, 'Timestamp') ?? now;
    if (at < now - 14 * 86_400_000 || at > now + 2 * 3_600_000) {
      invalid(
        `The parameter MetricData.Timestamp must be within the last two weeks and no more than two hours ahead.`,
      );
    }
    const unit = str(entry, 'Unit');
    const value = num(entry, 'Value');
    const values = (entry.Values as unknown[] | undefined)?.map(Number) ?? [];
    const counts = (entry.Counts as unknown[] | undefined)?.map(Number) ?? [];
    const statValues = entry.StatisticValues as Input | undefined;
    const raw: number[] = value !== undefined ? [value] : [];
    values.forEach((v, i) => {
      for (let c = 0; c < Math.max(1, Math.round(counts[i] ?? 1)); c++) raw.push(v);
    });
    if (raw.some((v) => !Number.isFinite(v)))
      invalid('The parameter MetricData.Value must be a finite number.');
    if (statValues) {
      state.metrics.put(region, id, {
        at,
        unit,
        stats: {
          sum: num(statValues, 'Sum', true) as number,
          count: num(statValues, 'SampleCount', true) as number,
          min: num(statValues, 'Minimum', true) as number,
          max: num(statValues, 'Maximum', true) as number,
        },
      });
    } else if (raw.length > 0) {
      state.metrics.put(region, id, { at, unit, values: raw });
    } else {
      throw new ServiceError(
        400,
        'MissingParameter',
        'The parameter MetricData.Value, MetricData.Values or MetricData.StatisticValues is required.',
      );
    }
  }
  return undefined;
};

const getMetricStatistics: Operation = (state, input, { region }) => {
  const id = metricOf(input);
  const start = time(input, 'StartTime', true) as number;
  const end = time(input, 'EndTime', true) as number;
  if (end <= start) invalid('The parameter StartTime must be less than the parameter EndTime.');
  const periodSeconds = period(input);
  const stats = strings(input, 'Statistics');
  const extended = strings(input, 'ExtendedStatistics');
  if (stats.length + extended.length === 0) {
    throw new ServiceError(400, 'MissingParameter', 'Must specify either Statistics or ExtendedStatistics.');
  }
  for (const s of stats) {
    if (!(BASIC_STATISTICS as readonly string[]).includes(s))
      invalid(`The parameter Statistics contains ${s}, which is not a statistic.`);
  }
  for (const s of extended)
    if (!/^p/.test(s) || !isStatistic(s))
      invalid(`The parameter ExtendedStatistics contains ${s}, which is not a percentile.`);
  if ((end - start) / (periodSeconds * 1000) > 1440) {
    invalid(
      'You have requested up to 1,440 datapoints, which exceeds the limit; use a longer Period or a shorter range.',
    );
  }
  const unit = str(input, 'Unit');
  const datapoints = state.metrics.buckets(region, id, { start, end, periodSeconds, unit }).map((bucket) => {
    const point: Input = { Timestamp: new Date(bucket.start) };
    for (const s of stats) point[s] = statistic(bucket.points, s);
    if (extended.length > 0) {
      point.ExtendedStatistics = Object.fromEntries(
        extended.map((s) => [s, statistic(bucket.points, s) ?? 0]),
      );
    }
    point.Unit = unit ?? bucket.points.find((p) => p.unit)?.unit ?? 'None';
    return point;
  });
  return { Label: id.name, Datapoints: datapoints };
};

/** At most this many points per GetMetricData call, as CloudWatch limits it. */
const MAX_DATAPOINTS = 100_800;

const getMetricData: Operation = (state, input, { region }) => {
  if (list(input, 'MetricDataQueries').length === 0)
    throw new ServiceError(400, 'MissingParameter', 'The parameter MetricDataQueries is required.');
  if (list(input, 'MetricDataQueries').length > 500)
    invalid('The collection MetricDataQueries must not have more than 500 members.');
  const queries = readQueries(input, 'MetricDataQueries', isStatistic);
  const start = time(input, 'StartTime', true) as number;
  const end = time(input, 'EndTime', true) as number;
  if (end <= start) invalid('The parameter StartTime must be less than the parameter EndTime.');
  const ascending = str(input, 'ScanBy') === 'TimestampAscending';
  const fetch = (q: MetricStatQuery) =>
    new Map(
      state.metrics
        .buckets(region, q.metric, { start, end, periodSeconds: q.periodSeconds, unit: q.unit })
        .map((b) => [b.start, statistic(b.points, q.stat)] as const)
        .filter((p): p is readonly [number, number] => p[1] !== undefined),
    );
  const results = queries
    .filter((q) => q.returnData)
    .map((q) => {
      const grid = gridOf(start, end, periodOf(q, queries));
      if (grid.length > MAX_DATAPOINTS)
        invalid(
          `The query ${q.id} asks for more than ${MAX_DATAPOINTS} datapoints; use a longer Period or a shorter range.`,
        );
      const series = evaluateQueries(queries, fetch, grid).get(q.id) ?? new Map();
      const points = [...series].sort(([a], [b]) => (ascending ? a - b : b - a));
      return {
        Id: q.id,
        Label: q.label ?? q.metricStat?.metric.name ?? q.id,
        Timestamps: points.map(([at]) => new Date(at)),
        Values: points.map(([, value]) => value),
        StatusCode: 'Complete',
        Messages: [],
      };
    });
  return { MetricDataResults: results, Messages: [] };
};

const listMetrics: Operation = (state, input, { region }) => {
  const recently = str(input, 'RecentlyActive');
  if (recently !== undefined && recently !== 'PT3H') invalid('The parameter RecentlyActive must be PT3H.');
  const all = state.metrics.list(region, {
    namespace: str(input, 'Namespace'),
    name: str(input, 'MetricName'),
    dimensions: list(input, 'Dimensions').map((d) => ({
      Name: str(d, 'Name', true) as string,
      Value: str(d, 'Value'),
    })),
    since: recently ? state.now() - 3 * 3_600_000 : undefined,
  });
  const offset = token(input);
  const page = all.slice(offset, offset + PAGE);
  return {
    Metrics: page.map((m) => ({ Namespace: m.namespace, MetricName: m.name, Dimensions: m.dimensions })),
    NextToken: nextToken(offset, all.length, PAGE),
  };
};

type AlarmMetric = Pick<
  AlarmDefinition,
  | 'Namespace'
  | 'MetricName'
  | 'Dimensions'
  | 'Statistic'
  | 'ExtendedStatistic'
  | 'Period'
  | 'Unit'
  | 'Metrics'
>;

/** A single-metric alarm's metric, statistic and period. */
function singleMetric(input: Input): AlarmMetric {
  const statisticName = str(input, 'Statistic');
  const extended = str(input, 'ExtendedStatistic');
  if ((statisticName === undefined) === (extended === undefined)) {
    invalid('Exactly one of Statistic and ExtendedStatistic must be given.');
  }
  if (statisticName !== undefined && !(BASIC_STATISTICS as readonly string[]).includes(statisticName)) {
    invalid(`The value ${statisticName} for parameter Statistic is invalid.`);
  }
  if (extended !== undefined && !/^p/.test(extended))
    invalid(`The value ${extended} for parameter ExtendedStatistic is invalid.`);
  return {
    ...metricFields(metricOf(input)),
    Statistic: statisticName,
    ExtendedStatistic: extended,
    Period: period(input),
    Unit: str(input, 'Unit'),
  };
}

const SINGLE_METRIC_FIELDS = [
  'MetricName',
  'Namespace',
  'Dimensions',
  'Period',
  'Unit',
  'Statistic',
  'ExtendedStatistic',
];

/** A metric math alarm's queries: exactly one returns data, and its period is the alarm's. */
function mathMetrics(input: Input): AlarmMetric {
  const given = SINGLE_METRIC_FIELDS.filter((f) => input[f] !== undefined);
  if (given.length > 0) {
    throw new ServiceError(
      400,
      'InvalidParameterCombination',
      `Metrics cannot be given with ${given.join(', ')}: a metric math alarm names its metrics in Metrics.`,
    );
  }
  const queries: MetricQuery[] = readQueries(input, 'Metrics', isStatistic);
  if (queries.length === 0)
    throw new ServiceError(400, 'MissingParameter', 'The parameter Metrics is required.');
  const returned = queries.filter((q) => q.returnData);
  if (returned.length !== 1)
    throw new ServiceError(
      400,
      'ValidationError',
      'Exactly one element of the metrics list should return data.',
    );
  return { Metrics: queries, Period: periodOf(returned[0], queries) };
}

const putMetricAlarm: Operation = (state, input, { region }) => {
  const name = str(input, 'AlarmName', true) as string;
  if (name.length > 255) invalid('The parameter AlarmName must be at most 255 characters.');
  const metric = input.Metrics !== undefined ? mathMetrics(input) : singleMetric(input);
  const periodSeconds = metric.Period;
  if (periodSeconds < 60 && ![10, 30].includes(periodSeconds)) {
    invalid('The parameter Period must be 10, 30 or a multiple of 60 for an alarm.');
  }
  const evaluationPeriods = num(input, 'EvaluationPeriods', true) as number;
  if (!Number.isInteger(evaluationPeriods) || evaluationPeriods < 1)
    invalid('The parameter EvaluationPeriods must be at least 1.');
  if (periodSeconds * evaluationPeriods > 86_400)
    invalid('The product of Period and EvaluationPeriods must not exceed 86400 (one day).');
  const datapointsToAlarm = num(input, 'DatapointsToAlarm') ?? evaluationPeriods;
  if (datapointsToAlarm < 1 || datapointsToAlarm > evaluationPeriods) {
    invalid('DatapointsToAlarm must be between 1 and EvaluationPeriods.');
  }
  const comparison = str(input, 'ComparisonOperator', true) as string;
  if (!Object.hasOwn(COMPARISONS, comparison))
    invalid(`The value ${comparison} for parameter ComparisonOperator is invalid.`);
  const treat = str(input, 'TreatMissingData') ?? 'missing';
  if (!['missing', 'breaching', 'notBreaching', 'ignore'].includes(treat)) {
    invalid(`The value ${treat} for parameter TreatMissingData is invalid.`);
  }
  const definition: AlarmDefinition = {
    AlarmName: name,
    AlarmDescription: str(input, 'AlarmDescription'),
    ...metric,
    EvaluationPeriods: evaluationPeriods,
    DatapointsToAlarm: datapointsToAlarm,
    Threshold: num(input, 'Threshold', true) as number,
    ComparisonOperator: comparison as Comparison,
    TreatMissingData: treat as TreatMissingData,
    ActionsEnabled: bool(input, 'ActionsEnabled') ?? true,
    AlarmActions: strings(input, 'AlarmActions'),
    OKActions: strings(input, 'OKActions'),
    InsufficientDataActions: strings(input, 'InsufficientDataActions'),
  };
  state.alarms.put(region, definition, new Date(state.now()));
  return undefined;
};

function metricFields(id: MetricId): Pick<AlarmDefinition, 'Namespace' | 'MetricName' | 'Dimensions'> {
  return { Namespace: id.namespace, MetricName: id.name, Dimensions: id.dimensions };
}

export function describeAlarm(alarm: Alarm): Input {
  const d = alarm.definition;
  return {
    AlarmName: d.AlarmName,
    AlarmArn: alarm.arn,
    AlarmDescription: d.AlarmDescription,
    AlarmConfigurationUpdatedTimestamp: alarm.configurationUpdated,
    ActionsEnabled: d.ActionsEnabled,
    OKActions: d.OKActions,
    AlarmActions: d.AlarmActions,
    InsufficientDataActions: d.InsufficientDataActions,
    StateValue: alarm.state,
    StateReason: alarm.reason,
    StateReasonData: alarm.reasonData,
    StateUpdatedTimestamp: alarm.updated,
    StateTransitionedTimestamp: alarm.updated,
    MetricName: d.MetricName,
    Namespace: d.Namespace,
    Statistic: d.Statistic,
    ExtendedStatistic: d.ExtendedStatistic,
    Dimensions: d.Dimensions,
    // A metric math alarm has its period in its queries, as CloudWatch describes it.
    Period: d.Metrics ? undefined : d.Period,
    Unit: d.Unit,
    Metrics: d.Metrics?.map(queryToWire),
    EvaluationPeriods: d.EvaluationPeriods,
    DatapointsToAlarm: d.DatapointsToAlarm,
    Threshold: d.Threshold,
    ComparisonOperator: d.ComparisonOperator,
    TreatMissingData: d.TreatMissingData,
  };
}

function stateValue(input: Input, field: string, required: boolean): AlarmState | undefined {
  const value = str(input, field, required);
  if (value !== undefined && !(ALARM_STATES as readonly string[]).includes(value)) {
    invalid(
      `The value ${value} for parameter ${field} is invalid; it must be OK, ALARM or INSUFFICIENT_DATA.`,
    );
  }
  return value as AlarmState | undefined;
}

const describeAlarms: Operation = (state, input, { region }) => {
  const names = strings(input, 'AlarmNames');
  const prefix = str(input, 'AlarmNamePrefix');
  if (names.length > 0 && prefix !== undefined)
    invalid('AlarmNames and AlarmNamePrefix cannot be given together.');
  const wanted = stateValue(input, 'StateValue', false);
  const types = strings(input, 'AlarmTypes');
  const max = num(input, 'MaxRecords') ?? 50;
  if (max < 1 || max > 100) invalid('The parameter MaxRecords must be between 1 and 100.');
  const all =
    types.length > 0 && !types.includes('MetricAlarm')
      ? []
      : state.alarms
          .inRegion(region)
          .filter((a) => names.length === 0 || names.includes(a.definition.AlarmName))
          .filter((a) => prefix === undefined || a.definition.AlarmName.startsWith(prefix))
          .filter((a) => wanted === undefined || a.state === wanted);
  const offset = token(input);
  return {
    MetricAlarms: all.slice(offset, offset + max).map(describeAlarm),
    CompositeAlarms: [],
    NextToken: nextToken(offset, all.length, max),
  };
};

const setAlarmState: Operation = (state, input, { region }) => {
  const name = str(input, 'AlarmName', true) as string;
  const value = stateValue(input, 'StateValue', true) as AlarmState;
  const reason = str(input, 'StateReason', true) as string;
  const reasonData = str(input, 'StateReasonData');
  if (reasonData !== undefined) {
    try {
      JSON.parse(reasonData);
    } catch {
      invalid('The parameter StateReasonData must be JSON.');
    }
  }
  const alarm = state.alarms.get(region, name);
  if (!alarm) throw new ServiceError(404, 'ResourceNotFound', `Alarm ${name} not found`);
  state.alarms.setState(alarm, value, reason, reasonData, state.now());
  return undefined;
};

const deleteAlarms: Operation = (state, input, { region }) => {
  const names = strings(input, 'AlarmNames');
  const missing = names.filter((n) => !state.alarms.get(region, n));
  if (missing.length > 0) throw new ServiceError(404, 'ResourceNotFound', `Alarm ${missing[0]} not found`);
  for (const name of names) state.alarms.delete(region, name);
  return undefined;
};

export const OPERATIONS: Operations<CloudWatchState> = {
  PutMetricData: putMetricData,
  GetMetricData: getMetricData,
  GetMetricStatistics: getMetricStatistics,
  ListMetrics: listMetrics,
  PutMetricAlarm: putMetricAlarm,
  DescribeAlarms: describeAlarms,
  SetAlarmState: setAlarmState,
  DeleteAlarms: deleteAlarms,
};
