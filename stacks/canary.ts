/**
 * The chat canary of a region: a function run every minute that connects to the region's WebSocket API,
 * joins the canary room, sends and receives its own message (runtime/canary/), its alarms, and the health
 * checks that let Route 53 act on it. The region's latency record follows `routingCheck`, a CALCULATED check
 * that is healthy only while both the HTTP /health check and the canary alarm's CLOUDWATCH_METRIC check are,
 * so a region whose chat path is broken leaves DNS even while its database answers. Drain inverts that parent.
 * In auth mode "cognito" it signs in as the pool's probe user (stacks/canary-auth.ts makes it).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { CfnHealthCheck } from 'aws-cdk-lib/aws-route53';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { names } from '../core/names.js';
import { CUSTOM_METRICS } from '../core/observability.js';
import { RUNTIME_ENV } from '../core/runtime-env.js';
import type { RegionSpec, Topology } from '../core/topology.js';
import { ChatFunction, type HandlerCode } from './chat-function.js';
import { customMetric } from './metrics.js';
import type { CanarySignIn, StackAuth } from './runtime-environment.js';
import { grantSecretReplicaRead } from './secret-grant.js';
import { StackPropsError } from './validate.js';

/** The canary's alarm: two failed minutes running; no data (the canary itself not running) is a failure. */
export const CANARY_ALARM = { evaluationPeriods: 2, latencyP99Ms: 2000 } as const;

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
        resources: [
          stack.formatArn({
            service: 'cognito-idp',
            region: signIn.userPoolRegion,
            resource: 'userpool',
            resourceName: userPoolId,
          }),
        ],
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

    this.function = new ChatFunction(this, 'Fn', {
      functionName: names.opsFunction(topology, key, 'canary'),
      route: 'canary',
      code: props.code,
      environment: {
        ...props.environment,
        [RUNTIME_ENV.canaryUrl]: props.url,
        ...(props.auth.mode === 'cognito' && props.auth.canary
          ? {
              [RUNTIME_ENV.canaryUsername]: props.auth.canary.username,
              [RUNTIME_ENV.canaryPasswordSecretId]: props.auth.canary.passwordSecretName,
            }
          : {}),
      },
      timeout: Duration.seconds(30),
      description: `${topology.app} ${key}: chat canary (connect, join, send, receive) every minute`,
    });
    if (props.auth.mode === 'cognito' && props.auth.canary)
      this.grantSignIn(props.auth.userPoolId, props.auth.canary);
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
