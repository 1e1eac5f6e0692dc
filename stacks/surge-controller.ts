/**
 * The region's surge controller (runtime/surge/): a function run every minute by a schedule and at once by
 * every alarm of the region (subscribed to its SNS topic), reading the lanes' Lambda metrics with
 * GetMetricData and writing the region's load level in its own replica when auto is on. It also reads the
 * replication lag into the region from every other region's CloudWatch (GetMetricData there: the grant
 * below is not scoped to a region) and stores it on the same item.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { names } from '../core/names.js';
import type { Route } from '../core/protocol.js';
import { RUNTIME_ENV } from '../core/runtime-env.js';
import type { RegionSpec, Topology } from '../core/topology.js';
import { ChatFunction, type HandlerCode } from './chat-function.js';

export interface SurgeControllerProps {
  readonly topology: Topology;
  readonly spec: RegionSpec;
  readonly code: HandlerCode;
  readonly environment: Readonly<Record<string, string>>;
  readonly topic: ITopic;
  /** The table's replica in this region. */
  readonly tableArn: string;
}

/** The lanes the controller measures: every route with reserved concurrency, by function name. */
export function surgeLanes(
  topology: Topology,
  regionKey: string,
): Record<string, { functionName: string; reserved: number }> {
  return Object.fromEntries(
    Object.entries(topology.lanes)
      .filter(([, reserved]) => reserved !== undefined)
      .map(([route, reserved]) => [
        route,
        { functionName: names.function(topology, regionKey, route as Route), reserved: reserved as number },
      ]),
  );
}

export class SurgeController extends Construct {
  readonly function: ChatFunction;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: SurgeControllerProps) {
    super(scope, id);
    const { topology, spec } = props;
    this.function = new ChatFunction(this, 'Fn', {
      functionName: names.opsFunction(topology, spec.key, 'surge'),
      route: 'surge',
      code: props.code,
      environment: {
        ...props.environment,
        [RUNTIME_ENV.surgeLanes]: JSON.stringify(surgeLanes(topology, spec.key)),
      },
      timeout: Duration.seconds(30),
      description: `${topology.app} ${spec.key}: surge controller, sets the load level from lane utilization when auto is on`,
    });
    this.function.role.addToPolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [props.tableArn],
      }),
    );
    this.function.role.addToPolicy(
      new PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
    );
    Validations.of(this.function.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'cloudwatch:GetMetricData supports no resource-level permissions; it reads metrics only',
    });
    this.schedule = new Rule(this, 'Schedule', {
      description: `${topology.app} ${spec.key}: run the surge controller`,
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(this.function.function, { retryAttempts: 0 })],
    });
    props.topic.addSubscription(new LambdaSubscription(this.function.function));
  }
}
