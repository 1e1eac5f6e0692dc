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
import { observabilityAlarms } from '../core/deployment/alarms.js';
import { names } from '../core/names.js';
import {
  ALARM_THRESHOLDS,
  CUSTOM_METRICS,
  WEBSOCKET_CONNECTS_PER_SECOND_QUOTA,
} from '../core/observability.js';
import type { Route } from '../core/protocol.js';
import type { RegionSpec, Topology } from '../core/topology.js';
import { alarmFromModel } from './alarm-model.js';
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

    // Every alarm from the deployed system's model (core/deployment/alarms.ts), which the sandbox seeds too:
    // the WebSocket API's, every function's and lane's, replication to every other region, the table's
    // throttles, the relay's errors and its given-up queued relays (stacks/relay-async.ts).
    for (const model of observabilityAlarms(topology, key, { apiId: props.webSocketApiId })) {
      this.addActions(alarmFromModel(this, `Alarm-${model.slug}`, model));
    }
    const connectLimit = WEBSOCKET_CONNECTS_PER_SECOND_QUOTA * ALARM_THRESHOLDS.connectQuotaShare;

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
    return this.addActions(alarm);
  }

  /** The alarm pages the topic on ALARM and on OK; it is one of the region's alarms. */
  private addActions(alarm: Alarm): Alarm {
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarmList.push(alarm);
    return alarm;
  }
}
