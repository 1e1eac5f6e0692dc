/**
 * CloudWatch's metric store in the sandbox: datapoints per AWS region, namespace, metric name and dimension
 * set, kept for three hours; statistics over periods (SampleCount, Sum, Average, Minimum, Maximum and
 * percentiles pNN from the raw values), as GetMetricStatistics, GetMetricData and the alarms read them.
 */
import type { StatisticSet } from '../service.js';

export interface Dimension {
  readonly Name: string;
  readonly Value: string;
}

export interface MetricId {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: readonly Dimension[];
}

/** One PutMetricData entry: raw values (Value, or Values with Counts), or a statistic set. */
export interface Datapoint {
  readonly at: number;
  readonly values?: readonly number[];
  readonly stats?: StatisticSet;
  readonly unit?: string;
}

interface Series {
  readonly region: string;
  readonly id: MetricId;
  points: Datapoint[];
  lastPut: number;
}

const RETENTION_MS = 3 * 60 * 60_000;
/** Per series; a flood of datapoints drops the oldest (memory stays bounded). */
const MAX_POINTS = 50_000;

export const BASIC_STATISTICS = ['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum'] as const;
const PERCENTILE = /^p(\d{1,2}(\.\d{1,2})?|100)$/;

export function isStatistic(stat: string): boolean {
  return (BASIC_STATISTICS as readonly string[]).includes(stat) || PERCENTILE.test(stat);
}

function sortedDimensions(dimensions: readonly Dimension[]): Dimension[] {
  return [...dimensions].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

export function metricKey(region: string, id: MetricId): string {
  const dims = sortedDimensions(id.dimensions)
    .map((d) => `${d.Name}=${d.Value}`)
    .join(',');
  return `${region}|${id.namespace}|${id.name}|${dims}`;
}

/** One statistic of the datapoints, or undefined when there are none (or no raw values for a percentile). */
export function statistic(points: readonly Datapoint[], stat: string): number | undefined {
  if (points.length === 0) return undefined;
  let sum = 0;
  let count = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  const raw: number[] = [];
  for (const point of points) {
    if (point.stats) {
      sum += point.stats.sum;
      count += point.stats.count;
      min = Math.min(min, point.stats.min);
      max = Math.max(max, point.stats.max);
    }
    for (const value of point.values ?? []) {
      sum += value;
      count++;
      min = Math.min(min, value);
      max = Math.max(max, value);
      raw.push(value);
    }
  }
  if (count === 0) return undefined;
  switch (stat) {
    case 'SampleCount':
      return count;
    case 'Sum':
      return sum;
    case 'Average':
      return sum / count;
    case 'Minimum':
      return min;
    case 'Maximum':
      return max;
  }
  const match = PERCENTILE.exec(stat);
  if (!match || raw.length === 0) return undefined;
  raw.sort((a, b) => a - b);
  const rank = Math.ceil((Number(match[1]) / 100) * raw.length) - 1;
  return raw[Math.min(raw.length - 1, Math.max(0, rank))];
}

export interface Bucket {
  readonly start: number;
  readonly points: readonly Datapoint[];
}

export class MetricStore {
  private readonly series = new Map<string, Series>();

  put(region: string, id: MetricId, point: Datapoint): void {
    const key = metricKey(region, id);
    let series = this.series.get(key);
    if (!series) {
      series = { region, id: { ...id, dimensions: sortedDimensions(id.dimensions) }, points: [], lastPut: 0 };
      this.series.set(key, series);
    }
    series.points.push(point);
    series.lastPut = Date.now();
    if (series.points.length > MAX_POINTS) series.points.splice(0, series.points.length - MAX_POINTS);
  }

  /** Drops datapoints past retention (called on the service's tick). */
  prune(now: number): void {
    for (const [key, series] of this.series) {
      const cutoff = now - RETENTION_MS;
      if (series.points.length > 0 && series.points[0].at < cutoff) {
        series.points = series.points.filter((p) => p.at >= cutoff);
      }
      if (series.points.length === 0 && series.lastPut < cutoff) this.series.delete(key);
    }
  }

  /** ListMetrics: every metric of the region matching the filters (dimension filters without Value match any). */
  list(
    region: string,
    filter: {
      namespace?: string;
      name?: string;
      dimensions?: readonly { Name: string; Value?: string }[];
      since?: number;
    },
  ): MetricId[] {
    const out: MetricId[] = [];
    for (const series of this.series.values()) {
      if (series.region !== region) continue;
      if (filter.namespace && series.id.namespace !== filter.namespace) continue;
      if (filter.name && series.id.name !== filter.name) continue;
      if (filter.since !== undefined && series.lastPut < filter.since) continue;
      const dims = series.id.dimensions;
      const matches = (filter.dimensions ?? []).every((f) =>
        dims.some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value)),
      );
      if (matches) out.push(series.id);
    }
    return out.sort((a, b) => (metricKey(region, a) < metricKey(region, b) ? -1 : 1));
  }

  /**
   * The datapoints of one metric (its exact dimension set) in periods aligned to `periodSeconds`, from the
   * period containing `start` to the one before `end`; only periods with data. `unit` filters when given.
   */
  buckets(
    region: string,
    id: MetricId,
    range: { start: number; end: number; periodSeconds: number; unit?: string },
  ): Bucket[] {
    const series = this.series.get(metricKey(region, id));
    if (!series) return [];
    const period = range.periodSeconds * 1000;
    const byStart = new Map<number, Datapoint[]>();
    for (const point of series.points) {
      if (point.at < range.start || point.at >= range.end) continue;
      if (range.unit && point.unit && point.unit !== range.unit) continue;
      const start = Math.floor(point.at / period) * period;
      let list = byStart.get(start);
      if (!list) {
        list = [];
        byStart.set(start, list);
      }
      list.push(point);
    }
    return [...byStart.entries()].sort(([a], [b]) => a - b).map(([start, points]) => ({ start, points }));
  }

  /** The datapoints of one metric in [from, to), for an alarm's window. */
  window(region: string, id: MetricId, from: number, to: number): Datapoint[] {
    const series = this.series.get(metricKey(region, id));
    return series ? series.points.filter((p) => p.at >= from && p.at < to) : [];
  }
}
