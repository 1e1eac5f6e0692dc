/**
 * Metric alarms in the sandbox, evaluated as CloudWatch does over their periods: the statistic of each of
 * the last EvaluationPeriods periods is compared with the threshold; DatapointsToAlarm of them breaching is
 * ALARM; TreatMissingData says what an empty period counts as (missing, breaching, notBreaching, ignore).
 * The sandbox evaluates every tick on windows ending now, so a failure shows within a tick of its datapoint
 * (CloudWatch waits for the period to close). SetAlarmState holds until the alarm's next evaluation, one
 * period later, as is a new alarm's first evaluation. Alarm actions are stored and listed, but the sandbox has no SNS to notify.
 * A metric math alarm (Metrics) is evaluated the same way: per period, each MetricStat's statistic over that
 * period, then the expression that returns data (./math.ts) over those values.
 */
import { type Datapoint, type Dimension, type MetricId, type MetricStore, statistic } from './metrics.js';
import { evaluateQueries, type MetricQuery } from './queries.js';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export const ALARM_STATES: readonly AlarmState[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];

export const COMPARISONS = {
  GreaterThanOrEqualToThreshold: (v: number, t: number) => v >= t,
  GreaterThanThreshold: (v: number, t: number) => v > t,
  LessThanThreshold: (v: number, t: number) => v < t,
  LessThanOrEqualToThreshold: (v: number, t: number) => v <= t,
} as const;
export type Comparison = keyof typeof COMPARISONS;

const SYMBOL: Record<Comparison, string> = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

export type TreatMissingData = 'missing' | 'breaching' | 'notBreaching' | 'ignore';

export interface AlarmDefinition {
  readonly AlarmName: string;
  readonly AlarmDescription?: string;
  /** A single-metric alarm's metric (absent on a metric math alarm). */
  readonly Namespace?: string;
  readonly MetricName?: string;
  readonly Dimensions?: readonly Dimension[];
  /** A metric math alarm's queries: exactly one returns data, the value the alarm compares. */
  readonly Metrics?: readonly MetricQuery[];
  /** A basic statistic, or an extended one (pNN). */
  readonly Statistic?: string;
  readonly ExtendedStatistic?: string;
  /** A math alarm's is the period of the query it compares (DescribeAlarms leaves it out there). */
  readonly Period: number;
  readonly EvaluationPeriods: number;
  readonly DatapointsToAlarm: number;
  readonly Threshold: number;
  readonly ComparisonOperator: Comparison;
  readonly TreatMissingData: TreatMissingData;
  readonly ActionsEnabled: boolean;
  readonly AlarmActions: readonly string[];
  readonly OKActions: readonly string[];
  readonly InsufficientDataActions: readonly string[];
  readonly Unit?: string;
}

export interface Alarm {
  readonly region: string;
  readonly arn: string;
  definition: AlarmDefinition;
  configurationUpdated: Date;
  state: AlarmState;
  reason: string;
  reasonData?: string;
  updated: Date;
  /** Until then, a state set by SetAlarmState holds. */
  heldUntil: number;
}

function stat(definition: AlarmDefinition): string {
  return definition.ExtendedStatistic ?? definition.Statistic ?? 'Average';
}

function format(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(Math.round(value * 1000) / 1000);
}

function windowStatistic(
  metrics: MetricStore,
  region: string,
  metric: MetricId,
  stat: string,
  unit: string | undefined,
  from: number,
  to: number,
): number | undefined {
  const points: Datapoint[] = metrics.window(region, metric, from, to);
  return statistic(unit ? points.filter((p) => !p.unit || p.unit === unit) : points, stat);
}

/** The value of each of the alarm's last EvaluationPeriods periods, oldest first (undefined: missing). */
export function alarmDatapoints(
  definition: AlarmDefinition,
  metrics: MetricStore,
  region: string,
  now: number,
): (number | undefined)[] {
  const period = definition.Period * 1000;
  const values: (number | undefined)[] = [];
  for (let i = definition.EvaluationPeriods - 1; i >= 0; i--) {
    const to = now - i * period;
    const from = to - period;
    if (!definition.Metrics) {
      const metric = {
        namespace: definition.Namespace ?? '',
        name: definition.MetricName ?? '',
        dimensions: definition.Dimensions ?? [],
      };
      values.push(windowStatistic(metrics, region, metric, stat(definition), definition.Unit, from, to));
      continue;
    }
    const results = evaluateQueries(
      definition.Metrics,
      (q) => {
        const value = windowStatistic(metrics, region, q.metric, q.stat, q.unit, from, to);
        return new Map(value === undefined ? [] : [[from, value]]);
      },
      [from],
    );
    values.push([...results.values()][0]?.get(from));
  }
  return values;
}

/** The state the alarm's datapoints say now, with CloudWatch's kind of reason. */
export function evaluate(
  definition: AlarmDefinition,
  metrics: MetricStore,
  region: string,
  now: number,
  current: AlarmState,
): { state: AlarmState; reason: string } {
  const values = alarmDatapoints(definition, metrics, region, now);
  const compare = COMPARISONS[definition.ComparisonOperator];
  const present = values.filter((v): v is number => v !== undefined);
  const missing = values.length - present.length;
  const treat = definition.TreatMissingData;
  if (present.length === 0) {
    if (treat === 'ignore') return { state: current, reason: 'no datapoints; the state is kept (ignore)' };
    if (treat === 'missing') {
      return {
        state: 'INSUFFICIENT_DATA',
        reason: `Insufficient Data: ${values.length} datapoints were unknown.`,
      };
    }
  }
  let breaching = present.filter((v) => compare(v, definition.Threshold)).length;
  if (treat === 'breaching') breaching += missing;
  const needed = Math.min(definition.DatapointsToAlarm, values.length);
  const shown = present.slice(-5).map(format).join(', ');
  const relation = `${SYMBOL[definition.ComparisonOperator]} the threshold (${format(definition.Threshold)})`;
  if (breaching >= needed) {
    return {
      state: 'ALARM',
      reason: `Threshold Crossed: ${breaching} out of the last ${values.length} datapoints [${shown || 'missing'}] were ${relation} (minimum ${needed} datapoints for OK -> ALARM transition).`,
    };
  }
  return {
    state: 'OK',
    reason: `Threshold Crossed: ${values.length - breaching} out of the last ${values.length} datapoints [${shown || 'missing'}] were not ${relation}.`,
  };
}

export class AlarmStore {
  private readonly alarms = new Map<string, Alarm>();

  constructor(private readonly account: string) {}

  private key(region: string, name: string): string {
    return `${region}|${name}`;
  }

  /** PutMetricAlarm: creates, or replaces the definition (the state stays; CloudWatch re-evaluates). */
  put(region: string, definition: AlarmDefinition, now: Date): Alarm {
    const key = this.key(region, definition.AlarmName);
    const existing = this.alarms.get(key);
    if (existing) {
      existing.definition = definition;
      existing.configurationUpdated = now;
      existing.heldUntil = 0;
      return existing;
    }
    const alarm: Alarm = {
      region,
      arn: `arn:aws:cloudwatch:${region}:${this.account}:alarm:${definition.AlarmName}`,
      definition,
      configurationUpdated: now,
      state: 'INSUFFICIENT_DATA',
      reason: 'Unchecked: Initial alarm creation',
      updated: now,
      // CloudWatch first evaluates a new alarm once a period has passed ("Unchecked: Initial alarm creation").
      heldUntil: now.getTime() + definition.Period * 1000,
    };
    this.alarms.set(key, alarm);
    return alarm;
  }

  get(region: string, name: string): Alarm | undefined {
    return this.alarms.get(this.key(region, name));
  }

  delete(region: string, name: string): boolean {
    return this.alarms.delete(this.key(region, name));
  }

  inRegion(region: string): Alarm[] {
    return [...this.alarms.values()]
      .filter((a) => a.region === region)
      .sort((a, b) => (a.definition.AlarmName < b.definition.AlarmName ? -1 : 1));
  }

  /** SetAlarmState: the state holds until the next evaluation, one period from now. */
  setState(
    alarm: Alarm,
    state: AlarmState,
    reason: string,
    reasonData: string | undefined,
    now: number,
  ): void {
    this.transition(alarm, state, reason, now);
    alarm.reasonData = reasonData;
    alarm.heldUntil = now + alarm.definition.Period * 1000;
  }

  /** Evaluates every alarm; returns those whose state changed. */
  evaluateAll(metrics: MetricStore, now: number): Alarm[] {
    const changed: Alarm[] = [];
    for (const alarm of this.alarms.values()) {
      if (now < alarm.heldUntil) continue;
      const { state, reason } = evaluate(alarm.definition, metrics, alarm.region, now, alarm.state);
      if (state !== alarm.state) {
        this.transition(alarm, state, reason, now);
        alarm.reasonData = undefined;
        changed.push(alarm);
      }
    }
    return changed;
  }

  private transition(alarm: Alarm, state: AlarmState, reason: string, now: number): void {
    alarm.state = state;
    alarm.reason = reason;
    alarm.updated = new Date(now);
  }
}
