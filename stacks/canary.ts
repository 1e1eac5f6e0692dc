/**
 * The chat canary of a region: a function run every minute that connects to the region's WebSocket API,
 * joins the canary room, sends and receives its own message (runtime/canary/), its alarms, and the health
 * checks that let Route 53 act on it. The region's latency record follows `routingCheck`, a CALCULATED check
 * that is healthy only while both the HTTP /health check and the canary alarm's CLOUDWATCH_METRIC check are,
 * so a region whose chat path is broken leaves DNS even while its database answers. Drain inverts that parent.
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { CfnHealthCheck } from 'aws-cdk-lib/aws-route53';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { names } from '../core/names.js';
import { CUSTOM_METRICS } from '../core/observability.js';
import { RUNTIME_ENV } from '../core/runtime-env.js';
import type { RegionSpec, Topology } from '../core/topology.js';
import { ChatFunction, type HandlerCode } from './chat-function.js';
import { customMetric } from './metrics.js';
import { StackPropsError } from './validate.js';

/** The canary's alarm: two failed minutes running; no data (the canary itself not running) is a failure. */
export const CANARY_ALARM = { evaluationPeriods: 2, latencyP99Ms: 2000 } as const;

export interface ChatCanaryProps {
  readonly topology: Topology;
  readonly spec: RegionSpec;
  readonly code: HandlerCode;
  /** The runtime environment of the region's chat functions (the canary signs its token with the same auth). */
  readonly environment: Readonly<Record<string, string>>;
  /** The WebSocket URL the canary probes: the region's own name, the path users' traffic takes. */
  readonly url: string;
  readonly topic: ITopic;
  /** The region's HTTPS /health check, the calculated check's other child. */
  readonly httpCheck: CfnHealthCheck;
}

export class ChatCanary extends Construct {
  readonly function: ChatFunction;
  readonly schedule: Rule;
  /** CanarySuccess below 1: Route 53's CLOUDWATCH_METRIC check follows it. */
  readonly alarm: Alarm;
  readonly latencyAlarm: Alarm;
  readonly alarmCheck: CfnHealthCheck;
  /** The check the latency record carries and drain inverts. */
  readonly routingCheck: CfnHealthCheck;

  constructor(scope: Construct, id: string, props: ChatCanaryProps) {
    super(scope, id);
    const { topology, spec } = props;
    if (topology.auth.mode !== 'dev') {
      throw new StackPropsError(
        'ChatCanary',
        'the canary signs dev tokens; auth.mode cognito has no probe user yet',
      );
    }
    if (!/^wss?:\/\//.test(props.url))
      throw new StackPropsError('ChatCanary', `url ${props.url} is not a WebSocket URL`);
    const key = spec.key;
    const reference = names.healthCheckReference(topology, key);

    this.function = new ChatFunction(this, 'Fn', {
      functionName: names.opsFunction(topology, key, 'canary'),
      route: 'canary',
      code: props.code,
      environment: {
        ...props.environment,
        [RUNTIME_ENV.canaryUrl]: props.url,
      },
      timeout: Duration.seconds(30),
      description: `${topology.app} ${key}: chat canary (connect, join, send, receive) every minute`,
    });
    this.schedule = new Rule(this, 'Schedule', {
      description: `${topology.app} ${key}: run the chat canary`,
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(this.function.function, { retryAttempts: 0 })],
    });

    const action = new SnsAction(props.topic);
    this.alarm = new Alarm(this, 'Alarm', {
      alarmName: `${names.alarmPrefix(topology, key)}canary`,
      alarmDescription: `the chat canary fails in ${key}: connect, join or send is broken; Route 53 takes the region out of DNS`,
      // Minimum, a standard-resolution metric and no math: what a Route 53 CLOUDWATCH_METRIC check accepts.
      metric: customMetric(topology, key, CUSTOM_METRICS.canarySuccess, 'Minimum'),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: CANARY_ALARM.evaluationPeriods,
      treatMissingData: TreatMissingData.BREACHING,
    });
    this.latencyAlarm = new Alarm(this, 'LatencyAlarm', {
      alarmName: `${names.alarmPrefix(topology, key)}canary-latency`,
      alarmDescription: `the chat canary's round trip in ${key} is slow (pages, does not steer DNS)`,
      metric: customMetric(topology, key, CUSTOM_METRICS.canaryLatency, 'p99').with({
        period: Duration.minutes(5),
      }),
      threshold: CANARY_ALARM.latencyP99Ms,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    for (const alarm of [this.alarm, this.latencyAlarm]) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }

    this.alarmCheck = new CfnHealthCheck(this, 'AlarmCheck', {
      healthCheckConfig: {
        type: 'CLOUDWATCH_METRIC',
        alarmIdentifier: { name: this.alarm.alarmName, region: spec.awsRegion },
        // While CloudWatch has no data yet (a fresh deploy), keep the last status rather than flap.
        insufficientDataHealthStatus: 'LastKnownStatus',
      },
      healthCheckTags: [{ key: 'Name', value: `${reference}-canary` }],
    });
    this.routingCheck = new CfnHealthCheck(this, 'RoutingCheck', {
      healthCheckConfig: {
        type: 'CALCULATED',
        childHealthChecks: [props.httpCheck.attrHealthCheckId, this.alarmCheck.attrHealthCheckId],
        healthThreshold: 2,
      },
      healthCheckTags: [{ key: 'Name', value: reference }],
    });
  }
}
