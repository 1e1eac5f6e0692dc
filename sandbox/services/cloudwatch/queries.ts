/**
 * Metric data queries, as GetMetricData's MetricDataQueries and a metric math alarm's Metrics carry them:
 * each an Id with a MetricStat or an Expression (./math.ts), a Label, ReturnData and a Period. Read and
 * validated once from the JSON shape; evaluated over a grid of period starts, with the MetricStat series
 * fetched by the caller (buckets of the range for GetMetricData, one window per period for an alarm).
 */

import { ServiceError } from '../../wire/service-error.js';
import {
  evaluateExpression,
  type MathNode,
  type MathValue,
  parseExpression,
  references,
  type Series,
} from './math.js';
import type { Dimension, MetricId } from './metrics.js';
import { type Input, invalid, list, num, str } from './protocol.js';

export interface MetricStatQuery {
  readonly metric: MetricId;
  readonly periodSeconds: number;
  readonly stat: string;
  readonly unit?: string;
}

export interface MetricQuery {
  readonly id: string;
  readonly metricStat?: MetricStatQuery;
  readonly expression?: string;
  readonly parsed?: MathNode;
  readonly label?: string;
  readonly returnData: boolean;
  readonly periodSeconds?: number;
}

export function dimensions(input: Input, field = 'Dimensions'): Dimension[] {
  const dims = list(input, field).map((d) => ({
    Name: str(d, 'Name', true) as string,
    Value: str(d, 'Value', true) as string,
  }));
  if (dims.length > 30) invalid(`The collection ${field} must not have more than 30 members.`);
  return dims;
}

export function period(input: Input, field = 'Period'): number {
  const value = num(input, field, true) as number;
  if (
    !Number.isInteger(value) ||
    value < 1 ||
    (value > 60 ? value % 60 !== 0 : ![1, 5, 10, 20, 30, 60].includes(value))
  ) {
    invalid(`The parameter ${field} must be 1, 5, 10, 20, 30, 60 or a multiple of 60 (got ${value}).`);
  }
  return value;
}

export function metricOf(input: Input): MetricId {
  return {
    namespace: str(input, 'Namespace', true) as string,
    name: str(input, 'MetricName', true) as string,
    dimensions: dimensions(input),
  };
}

/** One query of the list; `isStatistic` is the metric store's (basic statistics and pNN). */
function readQuery(query: Input, field: string, isStatistic: (s: string) => boolean): MetricQuery {
  const id = str(query, 'Id', true) as string;
  if (!/^[a-z][a-zA-Z0-9_]*$/.test(id))
    invalid(`The value ${id} for parameter ${field}.Id is invalid: it must start with a lower-case letter.`);
  const stat = query.MetricStat as Input | undefined;
  const expression = str(query, 'Expression');
  if ((stat === undefined) === (expression === undefined)) {
    throw new ServiceError(
      400,
      'ValidationError',
      `The query ${id} needs exactly one of MetricStat and Expression.`,
    );
  }
  const common = {
    id,
    label: str(query, 'Label'),
    returnData:
      query.ReturnData === undefined ? true : query.ReturnData === true || query.ReturnData === 'true',
    periodSeconds: query.Period === undefined ? undefined : period(query),
  };
  if (expression !== undefined) {
    if (expression.length > 2048) invalid(`The expression of ${id} is longer than 2048 characters.`);
    return { ...common, expression, parsed: withContext(id, expression, () => parseExpression(expression)) };
  }
  const metricStat = stat as Input;
  const statName = str(metricStat, 'Stat', true) as string;
  if (!isStatistic(statName))
    invalid(`The value ${statName} for parameter ${field}.MetricStat.Stat is invalid.`);
  return {
    ...common,
    metricStat: {
      metric: metricOf((metricStat.Metric ?? {}) as Input),
      periodSeconds: period(metricStat),
      stat: statName,
      unit: str(metricStat, 'Unit'),
    },
  };
}

function withContext<T>(id: string, expression: string, f: () => T): T {
  try {
    return f();
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error;
    throw new ServiceError(
      error.status,
      error.code,
      `Error in expression ${id} [${expression}]: ${error.message}`,
    );
  }
}

/** Reads and validates a query list: unique ids, expressions over known ids, no cycle. */
export function readQueries(input: Input, field: string, isStatistic: (s: string) => boolean): MetricQuery[] {
  const queries = list(input, field).map((q) => readQuery(q, field, isStatistic));
  const byId = new Map<string, MetricQuery>();
  for (const q of queries) {
    if (byId.has(q.id)) invalid(`The value ${q.id} for parameter ${field}.Id is used more than once.`);
    byId.set(q.id, q);
  }
  for (const q of queries) {
    if (!q.parsed) continue;
    for (const ref of references(q.parsed)) {
      if (!byId.has(ref)) {
        throw new ServiceError(
          400,
          'ValidationError',
          `Error in expression ${q.id} [${q.expression}]: Unrecognized metric or expression id ${ref}.`,
        );
      }
    }
  }
  for (const q of queries) checkCycle(q, byId, []);
  return queries;
}

function checkCycle(query: MetricQuery, byId: ReadonlyMap<string, MetricQuery>, path: string[]): void {
  if (path.includes(query.id)) {
    throw new ServiceError(
      400,
      'ValidationError',
      `Circular dependency between expressions: ${[...path, query.id].join(' -> ')}.`,
    );
  }
  for (const ref of query.parsed ? references(query.parsed) : []) {
    checkCycle(byId.get(ref) as MetricQuery, byId, [...path, query.id]);
  }
}

/** The period a query's points are on: its own, its MetricStat's, or the shortest of the metrics it reads. */
export function periodOf(query: MetricQuery, queries: readonly MetricQuery[]): number {
  if (query.periodSeconds !== undefined) return query.periodSeconds;
  if (query.metricStat) return query.metricStat.periodSeconds;
  const stats = queries.flatMap((q) => (q.metricStat ? [q.metricStat.periodSeconds] : []));
  return stats.length > 0 ? Math.min(...stats) : 60;
}

/** Every period start in [start, end): where FILL puts its points and a scalar result is shown. */
export function gridOf(start: number, end: number, periodSeconds: number): number[] {
  const step = periodSeconds * 1000;
  const grid: number[] = [];
  for (let t = Math.floor(start / step) * step; t < end; t += step) grid.push(t);
  return grid;
}

/** The value of each query that returns data, by id; MetricStat series come from `fetch`. */
export function evaluateQueries(
  queries: readonly MetricQuery[],
  fetch: (stat: MetricStatQuery) => Series,
  grid: readonly number[],
): Map<string, Series> {
  const byId = new Map(queries.map((q) => [q.id, q]));
  const values = new Map<string, MathValue>();
  const value = (id: string): MathValue => {
    const known = values.get(id);
    if (known !== undefined) return known;
    const query = byId.get(id) as MetricQuery;
    const computed = query.metricStat
      ? fetch(query.metricStat)
      : withContext(id, query.expression ?? '', () =>
          evaluateExpression(query.parsed as MathNode, { resolve: value, grid }),
        );
    values.set(id, computed);
    return computed;
  };
  const out = new Map<string, Series>();
  for (const q of queries) if (q.returnData) out.set(q.id, asSeries(value(q.id), grid));
  return out;
}

/** A scalar result is a point at every period of the range, as a graph draws it. */
function asSeries(value: MathValue, grid: readonly number[]): Series {
  return typeof value === 'number' ? new Map(grid.map((t) => [t, value])) : value;
}

/** The query's wire shape, as DescribeAlarms returns a metric math alarm's Metrics. */
export function queryToWire(query: MetricQuery): Input {
  const stat = query.metricStat;
  return {
    Id: query.id,
    MetricStat: stat && {
      Metric: {
        Namespace: stat.metric.namespace,
        MetricName: stat.metric.name,
        Dimensions: stat.metric.dimensions,
      },
      Period: stat.periodSeconds,
      Stat: stat.stat,
      Unit: stat.unit,
    },
    Expression: query.expression,
    Label: query.label,
    ReturnData: query.returnData,
    Period: query.periodSeconds,
  };
}
