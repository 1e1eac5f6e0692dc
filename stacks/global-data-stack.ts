/**
 * The global data stack, in the home region: the chat's DynamoDB Global Table (one replica per topology region)
 * and, when analytics is enabled, the pipeline that reads the home replica's stream.
 */
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, Billing, StreamViewType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { CHAT_TABLE_SHAPE } from '../core/datamodel.js';
import { names } from '../core/names.js';
import type { Topology } from '../core/topology.js';
import { Analytics } from './analytics.js';
import type { HandlerCode } from './chat-function.js';
import { GlobalDashboard } from './global-dashboard.js';
import type { StackAuth } from './runtime-environment.js';
import { StackPropsError, validateTopology } from './validate.js';

export interface GlobalDataStackProps extends StackProps {
  readonly topology: Topology;
  readonly code: HandlerCode;
  readonly auth: StackAuth;
}

export class GlobalDataStack extends Stack {
  readonly table: TableV2;
  /** AWS region codes of the replicas, the home region last (as CloudFormation lists them). */
  readonly replicaRegions: readonly string[];
  readonly analytics?: Analytics;
  readonly dashboard: GlobalDashboard;

  constructor(scope: Construct, id: string, props: GlobalDataStackProps) {
    const topology = validateTopology('GlobalDataStack', props.topology);
    const home = topology.regions.find((r) => r.key === topology.homeRegion)!;
    if (props.env?.region && props.env.region !== home.awsRegion) {
      throw new StackPropsError(
        'GlobalDataStack',
        `env.region ${props.env.region} is not the home region's ${home.awsRegion}`,
      );
    }
    super(scope, id, {
      ...props,
      stackName: props.stackName ?? names.globalDataStack(topology),
      env: { account: topology.account, region: home.awsRegion },
      description: `${topology.app}: the chat's DynamoDB Global Table (replicas: ${topology.regions.map((r) => r.key).join(', ')})`,
    });

    const others = topology.regions.filter((r) => r.key !== topology.homeRegion);
    this.table = new TableV2(this, 'ChatTable', {
      tableName: names.table(topology),
      partitionKey: { name: CHAT_TABLE_SHAPE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: CHAT_TABLE_SHAPE.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      dynamoStream: StreamViewType.NEW_AND_OLD_IMAGES,
      timeToLiveAttribute: CHAT_TABLE_SHAPE.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      replicas: others.map((r) => ({
        region: r.awsRegion,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: true,
      })),
    });
    this.replicaRegions = [...others.map((r) => r.awsRegion), home.awsRegion];
    this.dashboard = new GlobalDashboard(this, 'Dashboard', { topology });

    if (topology.analytics.enabled) {
      this.analytics = new Analytics(this, 'Analytics', {
        topology,
        table: this.table,
        code: props.code,
        auth: props.auth,
      });
    }
  }
}
