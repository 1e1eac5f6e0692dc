/**
 * The chat canary of a region: a function run every minute that connects to the region's WebSocket API (by its
 * own name and by chat.<domain>), joins the canary room, sends and receives its own message (runtime/canary/),
 * and does the same on the regions it judges (core/routing-health.ts), publishing each of those results into
 * the judged region's CloudWatch. Here too: the alarms of this region's judges and the health checks that let
 * Route 53 act on them. The region's latency record follows `routingCheck`, a CALCULATED check over one
 * CLOUDWATCH_METRIC check per judge (healthy while all judges but one see the chat work), each counting an
 * alarm without data as unhealthy: no endpoint that strangers can throttle, and no status kept when the probes
 * stop. Drain inverts that parent. In auth mode "cognito" it signs in as the pool's probe user
 * (stacks/canary-auth.ts makes it).
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { CfnHealthCheck } from 'aws-cdk-lib/aws-route53';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { names } from '../core/names.js';
import { CUSTOM_METRICS, METRIC_DIMENSION, metricsNamespace } from '../core/observability.js';
import {
  CANARY_ALARM_EVALUATION_PERIODS,
  CANARY_ALARM_PERIOD_SECONDS,
  canaryJudges,
  JUDGE_DIMENSION,
  judgedBy,
  judgementAlarmSlug,
  routingThreshold,
} from '../core/routing-health.js';
import { RUNTIME_ENV } from '../core/runtime-env.js';
import type { RegionSpec, Topology } from '../core/topology.js';
import { ChatFunction, type HandlerCode } from './chat-function.js';
import { customMetric } from './metrics.js';
import type { CanarySignIn, StackAuth } from './runtime-environment.js';
import { grantSecretReplicaRead } from './secret-grant.js';
import { StackPropsError } from './validate.js';

/** The canary's alarms: two failed minutes running; no data (the canary itself not running) is a failure. */
export const CANARY_ALARM = {
  evaluationPeriods: CANARY_ALARM_EVALUATION_PERIODS,
  latencyP99Ms: 2000,
} as const;

export interface ChatCanaryProps {
  readonly topology: Topology;
  readonly spec: RegionSpec;
  readonly code: HandlerCode;
  /** The runtime environment of the region's chat functions (the canary signs its token with the same auth). */
  readonly environment: Readonly<Record<string, string>>;
  /** Dev tokens (the region stack grants the secret), or the Cognito probe user's sign-in. */
  readonly auth: StackAuth;
  /** The WebSocket URL the canary probes: the region's own name, the path users' traffic takes. */
  readonly url: string;
  /** The global name's URL (wss://chat.<domain>/prod) and this region's target of it, probed without DNS. */
  readonly globalUrl: string;
  readonly globalAddress: string;
  /** The WebSocket URL of a region by key (the canary judges other regions through it). */
  readonly regionUrl: (key: string) => string;
  readonly topic: ITopic;
}

export class ChatCanary extends Construct {
  readonly function: ChatFunction;
  readonly schedule: Rule;
  /** This region's own canary: CanarySuccess below 1 (or missing). */
  readonly alarm: Alarm;
  readonly latencyAlarm: Alarm;
  /** The own alarm's CLOUDWATCH_METRIC check. */
  readonly alarmCheck: CfnHealthCheck;
  /** Every judge of this region (itself first) with its alarm and check. */
  readonly judgements: readonly {
    readonly judge: string;
    readonly alarm: Alarm;
    readonly check: CfnHealthCheck;
  }[];
  /** The check the latency record carries and drain inverts. */
  readonly routingCheck: CfnHealthCheck;

  /**
   * Auth mode "cognito": sign in as the probe user (AdminInitiateAuth on exactly the pool) and read this region's
   * copy of its password. No AdminCreateUser or AdminSetUserPassword: the auth stack's deploy-time resource
   * makes the user (stacks/canary-auth.ts).
   */
  private grantSignIn(userPoolId: string, signIn: CanarySignIn): void {
    const stack = Stack.of(this);
    this.function.role.addToPolicy(
      new PolicyStatement({
        actions: ['cognito-idp:AdminInitiateAuth'],
        // The pool in its own region and, with multi-Region replication, in its replica's (the same pool id).
        resources: [signIn.userPoolRegion, ...(signIn.replicaRegion ? [signIn.replicaRegion] : [])].map(
          (region) =>
            stack.formatArn({
              service: 'cognito-idp',
              region,
              resource: 'userpool',
              resourceName: userPoolId,
            }),
        ),
      }),
    );
    grantSecretReplicaRead(this.function.role, signIn.passwordSecretName);
  }

  constructor(scope: Construct, id: string, props: ChatCanaryProps) {
    super(scope, id);
    const { topology, spec } = props;
    if (props.auth.mode === 'none') throw new StackPropsError('ChatCanary', 'the canary needs an auth mode');
    if (props.auth.mode === 'cognito' && !props.auth.canary) {
      throw new StackPropsError(
        'ChatCanary',
        "auth mode cognito: the canary's sign-in (stacks/canary-auth.ts) is required",
      );
    }
    if (!/^wss?:\/\//.test(props.url))
      throw new StackPropsError('ChatCanary', `url ${props.url} is not a WebSocket URL`);
    const key = spec.key;
    const reference = names.healthCheckReference(topology, key);

    const judged = judgedBy(topology, key);
    this.function = new ChatFunction(this, 'Fn', {
      functionName: names.opsFunction(topology, key, 'canary'),
      route: 'canary',
      code: props.code,
      environment: {
        ...props.environment,
        [RUNTIME_ENV.canaryUrl]: props.url,
        [RUNTIME_ENV.canaryGlobalUrl]: props.globalUrl,
        [RUNTIME_ENV.canaryGlobalAddress]: props.globalAddress,
        [RUNTIME_ENV.canaryJudged]: JSON.stringify(
          Object.fromEntries(
            judged.map((k) => [
              k,
              { url: props.regionUrl(k), awsRegion: topology.regions.find((r) => r.key === k)!.awsRegion },
            ]),
          ),
        ),
        ...(props.auth.mode === 'cognito' && props.auth.canary
          ? {
              [RUNTIME_ENV.canaryUsername]: props.auth.canary.username,
              [RUNTIME_ENV.canaryPasswordSecretId]: props.auth.canary.passwordSecretName,
              ...(props.auth.canary.replicaRegion
                ? { [RUNTIME_ENV.userPoolReplicaRegion]: props.auth.canary.replicaRegion }
                : {}),
            }
          : {}),
      },
      timeout: Duration.seconds(30),
      description: `${topology.app} ${key}: chat canary (connect, join, send, receive) every minute`,
    });
    if (props.auth.mode === 'cognito' && props.auth.canary)
      this.grantSignIn(props.auth.userPoolId, props.auth.canary);
    if (judged.length > 0) {
      // Its judgements of other regions go to their CloudWatch (PutMetricData takes no resource: the namespace
      // condition is the scope).
      this.function.role.addToPolicy(
        new PolicyStatement({
          actions: ['cloudwatch:PutMetricData'],
          resources: ['*'],
          conditions: { StringEquals: { 'cloudwatch:namespace': metricsNamespace(topology.app) } },
        }),
      );
      Validations.of(this.function.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          "CloudWatch's PutMetricData has no resource type; the statement is limited to the app's own metric namespace by the cloudwatch:namespace condition",
      });
    }
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

    // One judgement per judge, each an alarm here (outside judges publish into this region) and a
    // CLOUDWATCH_METRIC check that counts an alarm without data as unhealthy: probes that stop reporting
    // take the region out, they never leave it on its last status.
    const judgements = canaryJudges(topology, key).map((judge) => {
      const alarm =
        judge === key
          ? this.alarm
          : new Alarm(this, `Alarm-from-${judge}`, {
              alarmName: `${names.alarmPrefix(topology, key)}${judgementAlarmSlug(key, judge)}`,
              alarmDescription: `the chat canary of ${judge} fails on ${key}'s chat (or stops reporting); one of the judges Route 53 routes ${key} by`,
              metric: new Metric({
                namespace: metricsNamespace(topology.app),
                metricName: CUSTOM_METRICS.canarySuccess,
                dimensionsMap: { [METRIC_DIMENSION]: key, [JUDGE_DIMENSION]: judge },
                statistic: 'Minimum',
                period: Duration.seconds(CANARY_ALARM_PERIOD_SECONDS),
              }),
              threshold: 1,
              comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
              evaluationPeriods: CANARY_ALARM.evaluationPeriods,
              treatMissingData: TreatMissingData.BREACHING,
            });
      if (alarm !== this.alarm) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
      const check = new CfnHealthCheck(this, judge === key ? 'AlarmCheck' : `AlarmCheck-from-${judge}`, {
        healthCheckConfig: {
          type: 'CLOUDWATCH_METRIC',
          alarmIdentifier: { name: alarm.alarmName, region: spec.awsRegion },
          insufficientDataHealthStatus: 'Unhealthy',
        },
        healthCheckTags: [{ key: 'Name', value: `${reference}-${judgementAlarmSlug(key, judge)}` }],
      });
      return { judge, alarm, check };
    });
    this.judgements = judgements;
    this.alarmCheck = judgements[0].check;
    this.routingCheck = new CfnHealthCheck(this, 'RoutingCheck', {
      healthCheckConfig: {
        type: 'CALCULATED',
        childHealthChecks: judgements.map((j) => j.check.attrHealthCheckId),
        healthThreshold: routingThreshold(judgements.length),
      },
      healthCheckTags: [{ key: 'Name', value: reference }],
    });
  }
}
