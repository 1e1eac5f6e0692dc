/**
 * A region's observability, deployed with its stack: the SNS topic that pages (subscriptions from
 * chatctl.json `paging`), the alarms on the WebSocket API, every function and lane, the table's replication
 * and throttling and the relay's errors, and the region's dashboard. docs/observability.md lists every alarm,
 * its threshold and why.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, UrlSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { names } from '../core/names.js';
import {
  ALARM_THRESHOLDS,
  CUSTOM_METRICS,
  MATH_ALARMS,
  WEBSOCKET_CONNECTS_PER_SECOND_QUOTA,
} from '../core/observability.js';
import type { Route } from '../core/protocol.js';
import type { RegionSpec, Topology } from '../core/topology.js';
import {
  customMetric,
  lambdaMetric,
  laneUtilization,
  replicationLatency,
  tableThrottles,
  webSocketMetric,
} from './metrics.js';
import { StackPropsError } from './validate.js';

export { ALARM_THRESHOLDS };

export interface RegionObservabilityProps {
  readonly topology: Topology;
  readonly spec: RegionSpec;
  readonly webSocketApiId: string;
  readonly stageName: string;
  /** The region's chat functions by route (names from core/names.ts). */
  readonly routes: readonly Route[];
  readonly tableName: string;
}

export class RegionObservability extends Construct {
  readonly topic: Topic;
  readonly dashboard: Dashboard;
  private readonly alarmList: Alarm[] = [];
  private readonly topology: Topology;
  private readonly key: string;

  constructor(scope: Construct, id: string, props: RegionObservabilityProps) {
    super(scope, id);
    const { topology, spec } = props;
    if (props.routes.length === 0) throw new StackPropsError('RegionObservability', 'routes is empty');
    this.topology = topology;
    this.key = spec.key;
    const key = spec.key;

    this.topic = new Topic(this, 'AlarmTopic', {
      topicName: names.alarmTopic(topology, key),
      displayName: `${topology.app} ${key} alarms`,
      enforceSSL: true,
    });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'alarm notifications carry alarm names, states and figures, no chat data; CloudWatch cannot publish to a topic under the AWS-managed SNS key, and a customer key per region for alarm states is not worth its cost',
    });
    for (const email of topology.paging?.email ?? [])
      this.topic.addSubscription(new EmailSubscription(email));
    for (const url of topology.paging?.https ?? []) this.topic.addSubscription(new UrlSubscription(url));

    const api = (metric: string) => webSocketMetric(props.webSocketApiId, props.stageName, metric);
    const fn = (route: Route) => names.function(topology, key, route);
    const t = ALARM_THRESHOLDS;

    // WebSocket API.
    this.alarm('ws-integration-errors', api('IntegrationError').with({ period: Duration.minutes(5) }), {
      threshold: t.integrationErrors,
      description: 'handlers answered 4XX/5XX to API Gateway: look at the functions with errors',
    });
    this.alarm('ws-execution-errors', api('ExecutionError').with({ period: Duration.minutes(5) }), {
      threshold: t.executionErrors,
      description: 'API Gateway could not call a handler (throttled lane, timeout, permission)',
    });
    this.alarm(
      MATH_ALARMS.clientErrorRate.slug,
      new MathExpression({
        expression: MATH_ALARMS.clientErrorRate.expression,
        usingMetrics: { c: api('ClientError'), m: api('MessageCount') },
        label: 'client errors, % of messages',
        period: Duration.minutes(5),
      }),
      {
        threshold: t.clientErrorPercent,
        description: MATH_ALARMS.clientErrorRate.description,
      },
    );
    const connectLimit = WEBSOCKET_CONNECTS_PER_SECOND_QUOTA * t.connectQuotaShare;
    this.alarm(
      MATH_ALARMS.connectRate.slug,
      new MathExpression({
        expression: MATH_ALARMS.connectRate.expression(60),
        usingMetrics: { c: api('ConnectCount') },
        label: 'new connections per second',
        period: Duration.minutes(1),
      }),
      {
        threshold: connectLimit,
        description: MATH_ALARMS.connectRate.description,
      },
    );

    // Every function: errors. Every lane (a route with reserved concurrency): throttles, concurrency, p99.
    for (const route of props.routes) {
      this.alarm(
        `fn-${route}-errors`,
        lambdaMetric(fn(route), 'Errors', 'Sum').with({ period: Duration.minutes(5) }),
        {
          threshold: t.functionErrors,
          description: `the ${route} function fails`,
        },
      );
      const reserved = topology.lanes[route];
      if (reserved === undefined) continue;
      this.alarm(`lane-${route}-throttles`, lambdaMetric(fn(route), 'Throttles', 'Sum'), {
        threshold: t.laneThrottles,
        evaluationPeriods: 2,
        description: `the ${route} lane is full (reserved ${reserved}): its requests fail fast`,
      });
      this.alarm(`lane-${route}-concurrency`, lambdaMetric(fn(route), 'ConcurrentExecutions', 'Maximum'), {
        threshold: Math.max(1, Math.floor(reserved * t.laneConcurrencyShare)),
        evaluationPeriods: 2,
        description: `the ${route} lane runs above ${t.laneConcurrencyShare * 100}% of its ${reserved} reserved`,
      });
      this.alarm(
        `lane-${route}-duration-p99`,
        lambdaMetric(fn(route), 'Duration', 'p99').with({ period: Duration.minutes(5) }),
        {
          threshold: route === 'relay' ? t.durationP99Ms.relay : t.durationP99Ms.route,
          description: `the ${route} lane's p99 duration is high: a slow dependency holds its concurrency`,
        },
      );
    }

    // DynamoDB: replication from this replica to every other, and throttling here.
    // (PendingReplicationCount exists only for the legacy 2017.11.29 global tables; this table is 2019.11.21.)
    for (const other of topology.regions.filter((r) => r.key !== key)) {
      this.alarm(
        `replication-to-${other.key}`,
        replicationLatency(props.tableName, spec.awsRegion, other.awsRegion),
        {
          threshold: topology.replication.lagThresholdMs,
          evaluationPeriods: t.replicationMinutes,
          description: `replication ${key} -> ${other.key} lags: ${other.key} reads stale rooms`,
        },
      );
    }
    this.alarm(
      MATH_ALARMS.tableThrottles.slug,
      tableThrottles(props.tableName).with({ period: Duration.minutes(5) }),
      {
        threshold: t.tableThrottles,
        description: MATH_ALARMS.tableThrottles.description,
      },
    );

    // The relay (custom metric, embedded metric format from the relay handler).
    this.alarm(
      'relay-errors',
      customMetric(topology, key, CUSTOM_METRICS.relayErrors, 'Sum').with({ period: Duration.minutes(5) }),
      {
        threshold: t.relayErrors,
        description: "relays into this region fail: cross-region rooms miss this region's members",
      },
    );

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: names.regionDashboard(topology, key),
      defaultInterval: Duration.hours(3),
    });
    const lanes = props.routes.filter((r) => topology.lanes[r] !== undefined);
    const perRoute = (metric: (route: Route) => IMetric, routes: readonly Route[]) => routes.map(metric);
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# ${topology.app} ${key} (${spec.awsRegion})\nAlarms page the SNS topic \`${names.alarmTopic(topology, key)}\`. Lane utilization lines at 50/70/85% are where the surge controller raises the load level to 1/2/3.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'New connections per second',
        left: [
          new MathExpression({
            expression: 'c / 60',
            usingMetrics: { c: api('ConnectCount') },
            label: 'connects/s',
          }),
        ],
        leftAnnotations: [
          { value: WEBSOCKET_CONNECTS_PER_SECOND_QUOTA, label: 'quota' },
          { value: connectLimit, label: 'alarm' },
        ],
        width: 8,
      }),
      new GraphWidget({ title: 'Messages', left: [api('MessageCount')], width: 8 }),
      new GraphWidget({
        title: 'API errors',
        left: [api('IntegrationError'), api('ExecutionError'), api('ClientError')],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Lane utilization (% of reserved)',
        left: lanes.map((r) => laneUtilization(fn(r), topology.lanes[r]!, { label: r })),
        leftYAxis: { min: 0, max: 100 },
        leftAnnotations: [{ value: 50 }, { value: 70 }, { value: 85 }],
        width: 12,
      }),
      new GraphWidget({
        title: 'Throttles per lane',
        left: perRoute((r) => lambdaMetric(fn(r), 'Throttles', 'Sum', { label: r }), lanes),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Errors per function',
        left: perRoute((r) => lambdaMetric(fn(r), 'Errors', 'Sum', { label: r }), props.routes),
        width: 12,
      }),
      new GraphWidget({
        title: 'Duration p99 per lane (ms)',
        left: perRoute((r) => lambdaMetric(fn(r), 'Duration', 'p99', { label: r }), lanes),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: `Replication latency from ${key} (ms)`,
        left: topology.regions
          .filter((r) => r.key !== key)
          .map((r) =>
            replicationLatency(props.tableName, spec.awsRegion, r.awsRegion).with({ label: `to ${r.key}` }),
          ),
        leftAnnotations: [{ value: topology.replication.lagThresholdMs, label: 'alarm' }],
        width: 8,
      }),
      new GraphWidget({ title: 'Table throttles', left: [tableThrottles(props.tableName)], width: 8 }),
      new GraphWidget({
        title: 'Relay',
        left: [
          customMetric(topology, key, CUSTOM_METRICS.relayInvocations, 'Sum', { label: 'invocations' }),
          customMetric(topology, key, CUSTOM_METRICS.relayErrors, 'Sum', { label: 'errors' }),
        ],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Canary',
        left: [
          customMetric(topology, key, CUSTOM_METRICS.canarySuccess, 'Minimum', { label: 'success (min)' }),
        ],
        right: [
          customMetric(topology, key, CUSTOM_METRICS.canaryLatency, 'Maximum', { label: 'latency ms (max)' }),
        ],
        leftYAxis: { min: 0, max: 1 },
        width: 12,
      }),
      new GraphWidget({
        title: 'Load level',
        left: [customMetric(topology, key, CUSTOM_METRICS.loadLevel, 'Maximum', { label: 'level' })],
        leftYAxis: { min: 0, max: 3 },
        width: 12,
      }),
    );
  }

  /** Every alarm of the region, in the order made. */
  get alarms(): readonly Alarm[] {
    return this.alarmList;
  }

  /**
   * An alarm named `<app>-<region>-<slug>` that notifies the topic on ALARM and on OK. The threshold is
   * reached at or above `threshold` unless `comparison` says otherwise; missing data is not a breach.
   */
  alarm(
    slug: string,
    metric: IMetric,
    options: {
      threshold: number;
      description: string;
      evaluationPeriods?: number;
      comparison?: ComparisonOperator;
      treatMissingData?: TreatMissingData;
    },
  ): Alarm {
    const alarm = new Alarm(this, `Alarm-${slug}`, {
      alarmName: `${names.alarmPrefix(this.topology, this.key)}${slug}`,
      alarmDescription: options.description,
      metric,
      threshold: options.threshold,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      comparisonOperator: options.comparison ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: options.treatMissingData ?? TreatMissingData.NOT_BREACHING,
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarmList.push(alarm);
    return alarm;
  }
}
