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
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { CfnHealthCheck } from 'aws-cdk-lib/aws-route53';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { type AlarmModel, CANARY_LATENCY_P99_MS, canaryAlarms } from '../core/deployment/alarms.js';
import { type HealthCheckModel, routingCheckOf } from '../core/deployment/route53.js';
import { names } from '../core/names.js';
import { metricsNamespace } from '../core/observability.js';
import { CANARY_ALARM_EVALUATION_PERIODS, canaryJudges, judgedBy } from '../core/routing-health.js';
import { RUNTIME_ENV } from '../core/runtime-env.js';
import type { RegionSpec, Topology } from '../core/topology.js';
import { alarmFromModel } from './alarm-model.js';
import { ChatFunction, type HandlerCode } from './chat-function.js';
import { healthCheckProps } from './route53-model.js';
import type { CanarySignIn, StackAuth } from './runtime-environment.js';
import { grantSecretReplicaRead } from './secret-grant.js';
import { StackPropsError } from './validate.js';

/** The canary's alarms: two failed minutes running; no data (the canary itself not running) is a failure. */
export const CANARY_ALARM = {
  evaluationPeriods: CANARY_ALARM_EVALUATION_PERIODS,
  latencyP99Ms: CANARY_LATENCY_P99_MS,
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
  /** The region's health checks of the deployed system's model (core/deployment/route53.ts). */
  readonly checks: readonly HealthCheckModel[];
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
  /** The check the latency record carries and drain inverts, and its model reference. */
  readonly routingCheck: CfnHealthCheck;
  readonly routingReference: string;

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

    // The alarms from the deployed system's model (core/deployment/alarms.ts), which the sandbox seeds too: one
    // judgement per judge, each an alarm here (outside judges publish into this region), and the round trip's
    // p99, which pages and steers nothing.
    const action = new SnsAction(props.topic);
    const models = canaryAlarms(topology, key);
    const made = new Map<string, Alarm>();
    for (const model of models) {
      const id = model.canaryLatency
        ? 'LatencyAlarm'
        : model.judge === key
          ? 'Alarm'
          : `Alarm-from-${model.judge}`;
      const alarm = alarmFromModel(this, id, model);
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      made.set(model.name, alarm);
    }
    const alarmOf = (model: AlarmModel | undefined): Alarm => {
      const alarm = model && made.get(model.name);
      if (!alarm) throw new StackPropsError('ChatCanary', 'an alarm of the model was not made');
      return alarm;
    };
    this.alarm = alarmOf(models.find((m) => m.judge === key));
    this.latencyAlarm = alarmOf(models.find((m) => m.canaryLatency));
    // Each judgement's CLOUDWATCH_METRIC check counts an alarm without data as unhealthy: probes that stop
    // reporting take the region out, they never leave it on its last status.
    const judgements = canaryJudges(topology, key).map((judge) => {
      const alarm = alarmOf(models.find((m) => m.judge === judge));
      const model = props.checks.find((c) => c.role === 'judgement' && c.judge === judge);
      if (!model) throw new StackPropsError('ChatCanary', `no health check of judge ${judge} in the model`);
      const check = new CfnHealthCheck(
        this,
        judge === key ? 'AlarmCheck' : `AlarmCheck-from-${judge}`,
        healthCheckProps(model, { alarmName: () => alarm.alarmName }),
      );
      return { judge, alarm, check };
    });
    this.judgements = judgements;
    this.alarmCheck = judgements[0].check;
    const routing = routingCheckOf(props.checks);
    const ids = new Map(
      judgements.map((j) => [
        props.checks.find((c) => c.judge === j.judge)!.reference,
        j.check.attrHealthCheckId,
      ]),
    );
    this.routingReference = routing.reference;
    this.routingCheck = new CfnHealthCheck(
      this,
      'RoutingCheck',
      healthCheckProps(routing, {
        checkId: (reference) => {
          const id = ids.get(reference);
          if (!id)
            throw new StackPropsError('ChatCanary', `the routing check's child ${reference} is not a judge`);
          return id;
        },
      }),
    );
  }
}
