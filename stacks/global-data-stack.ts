/**
 * The global data stack, in the home region: the chat's DynamoDB Global Table (one replica per topology region,
 * or the `replicaRegions` a stepwise deploy asks for), the dev-token secret in auth mode "dev" (replicated to
 * every region, read by the handlers at run time) and, when analytics is enabled, the pipeline that reads the
 * home replica's stream.
 */
import { RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, StreamViewType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { CHAT_TABLE_SHAPE } from '../core/datamodel.js';
import { names } from '../core/names.js';
import type { Topology } from '../core/topology.js';
import { Analytics } from './analytics.js';
import type { HandlerCode } from './chat-function.js';
import { GlobalDashboard } from './global-dashboard.js';
import { StackPropsError, validateTopology } from './validate.js';

export interface GlobalDataStackProps extends StackProps {
  readonly topology: Topology;
  readonly code: HandlerCode;
  /**
   * The table's replicas as AWS region codes (the home region's included); default one per topology region.
   * DynamoDB takes one replica change per table update, so a deploy that adds or removes several replicas
   * deploys this stack once per change (cli/ops/deploy/replicas.ts), and a replica being removed is first
   * deployed with its deletion protection off (`unprotectedReplicas`).
   */
  readonly replicaRegions?: readonly string[];
  readonly unprotectedReplicas?: readonly string[];
}

export class GlobalDataStack extends Stack {
  readonly table: TableV2;
  /** AWS region codes of the replicas, the home region last (as CloudFormation lists them). */
  readonly replicaRegions: readonly string[];
  readonly analytics?: Analytics;
  readonly dashboard: GlobalDashboard;
  /** Auth mode "dev": the secret dev tokens are signed with (generated, never in a template). */
  readonly devTokenSecret?: Secret;

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

    const wanted = props.replicaRegions ?? topology.regions.map((r) => r.awsRegion);
    for (const code of [...wanted, ...(props.unprotectedReplicas ?? [])]) {
      if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(code)) {
        throw new StackPropsError('GlobalDataStack', `replica region "${code}" is not an AWS region code`);
      }
    }
    if (!wanted.includes(home.awsRegion)) {
      throw new StackPropsError(
        'GlobalDataStack',
        `replicaRegions must include the home region ${home.awsRegion}`,
      );
    }
    const others = [...new Set(wanted)].filter((code) => code !== home.awsRegion);
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
      replicas: others.map((region) => ({
        region,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: !(props.unprotectedReplicas ?? []).includes(region),
      })),
    });
    this.replicaRegions = [...others, home.awsRegion];
    this.dashboard = new GlobalDashboard(this, 'Dashboard', { topology });

    if (topology.auth.mode === 'dev') {
      // Every region verifies tokens with the same value: one secret, replicated to each region's Secrets Manager.
      this.devTokenSecret = new Secret(this, 'DevTokenSecret', {
        secretName: names.devTokenSecret(topology),
        description: `${topology.app}: the HMAC secret chat dev tokens are signed with (auth mode "dev")`,
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
        replicaRegions: topology.regions
          .filter((r) => r.key !== topology.homeRegion)
          .map((r) => ({ region: r.awsRegion })),
        removalPolicy: RemovalPolicy.DESTROY,
      });
      Validations.of(this.devTokenSecret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'dev tokens are for development and test users; rotating the secret ends every outstanding token, so it is rotated by hand (the handlers re-read it within minutes)',
      });
    }

    if (topology.analytics.enabled) {
      this.analytics = new Analytics(this, 'Analytics', {
        topology,
        table: this.table,
        code: props.code,
      });
    }
  }
}
