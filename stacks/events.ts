/**
 * A region's chat event feed (topology.events.enabled; docs/events.md): an EventBridge pipe reads this region's
 * replica's stream, keeps only the region's own writes (the filter is core/events.ts's eventFilterPatterns, the
 * same patterns the sandbox's local bus evaluates), maps them to chat events (the enrichment,
 * runtime/handlers/events.ts) and puts them on the region's event bus, which archives them for replay. A batch
 * the pipe still fails on after its retries goes to a dead-letter queue whose alarm pages. Optionally a rule
 * copies every event into a Kinesis stream keyed by room, for consumers who want a log.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { type Archive, EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { KinesisStream } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Stream, StreamEncryption } from 'aws-cdk-lib/aws-kinesis';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { eventFilterPatterns } from '../core/events.js';
import { names } from '../core/names.js';
import { RUNTIME_ENV } from '../core/runtime-env.js';
import type { RegionSpec, Topology } from '../core/topology.js';
import { ChatFunction, type HandlerCode } from './chat-function.js';
import type { RegionObservability } from './observability.js';
import { StackPropsError } from './validate.js';

/** The archive keeps events this many days unless the topology says otherwise (0: indefinitely). */
export const DEFAULT_ARCHIVE_DAYS = 30;
/** A Kinesis log keeps a week, so a consumer can be down for days and lose nothing. */
export const EVENT_LOG_RETENTION = Duration.days(7);
/** The alarm's name after the region's prefix (cli/ops/checks/alarms.ts has its advice). */
export const EVENTS_ALARM_SLUG = 'events-dead-letters';

export interface ChatEventsProps {
  readonly topology: Topology;
  readonly spec: RegionSpec;
  readonly code: HandlerCode;
  /** The table's replica in this region (its stream is found at deploy time). */
  readonly tableArn: string;
  readonly observability: RegionObservability;
}

export class ChatEvents extends Construct {
  readonly bus: EventBus;
  readonly archive: Archive;
  /** Batches the pipe (or the log rule) still failed on after its retries: their metadata, 14 days. */
  readonly deadLetters: Queue;
  readonly enrichment: ChatFunction;
  readonly pipe: CfnPipe;
  readonly log?: Stream;

  constructor(scope: Construct, id: string, props: ChatEventsProps) {
    super(scope, id);
    const { topology, spec } = props;
    const settings = topology.events;
    if (!settings?.enabled) throw new StackPropsError('ChatEvents', 'topology.events.enabled is not true');
    const stack = Stack.of(this);
    const key = spec.key;
    const source = names.eventSource(topology);

    this.bus = new EventBus(this, 'Bus', {
      eventBusName: names.eventBus(topology, key),
      description: `${topology.app} ${key}: chat events (docs/events.md), published once, in the region where they happened`,
    });
    const archiveDays = settings.archiveDays ?? DEFAULT_ARCHIVE_DAYS;
    this.archive = this.bus.archive('Archive', {
      archiveName: names.eventBus(topology, key),
      description: `${topology.app} ${key}: every chat event, for replay`,
      eventPattern: { source: [source] },
      ...(archiveDays > 0 ? { retention: Duration.days(archiveDays) } : {}),
    });

    this.deadLetters = new Queue(this, 'DeadLetters', {
      queueName: names.eventDeadLetters(topology, key),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "this queue is the event pipe's (and the log rule's) dead-letter queue: where failed batches end, it needs none of its own",
    });
    props.observability.alarm(
      EVENTS_ALARM_SLUG,
      this.deadLetters.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      {
        threshold: 1,
        description: `chat events from ${key} failed to publish after the pipe's retries: other services miss them until they are replayed (the queue ${names.eventDeadLetters(topology, key)} holds each batch's shard and sequence numbers)`,
      },
    );

    this.enrichment = new ChatFunction(this, 'Enrichment', {
      functionName: names.opsFunction(topology, key, 'events'),
      route: 'events',
      code: props.code,
      // The mapping needs only the region it runs for: it touches no table, secret or connection.
      environment: { [RUNTIME_ENV.regionKey]: key },
      timeout: Duration.seconds(30),
      description: `${topology.app} ${key}: maps the table's stream records to chat events for the event pipe`,
    });

    const streamArn = this.replicaStreamArn(topology, props.tableArn);
    const logs = new LogGroup(this, 'PipeLogs', {
      logGroupName: `/aws/vendedlogs/pipes/${names.eventPipe(topology, key)}`,
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(this, 'PipeRole', {
      assumedBy: new ServicePrincipal('pipes.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `${names.eventPipe(topology, key)}: reads the stream, runs the enrichment, publishes to the bus`,
    });
    role.addToPolicy(
      new PolicyStatement({
        actions: [
          'dynamodb:DescribeStream',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'dynamodb:ListStreams',
        ],
        resources: [streamArn],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [this.enrichment.function.functionArn],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({ actions: ['events:PutEvents'], resources: [this.bus.eventBusArn] }),
    );
    role.addToPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetters.queueArn] }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logs.logGroupArn],
      }),
    );

    this.pipe = new CfnPipe(this, 'Pipe', {
      name: names.eventPipe(topology, key),
      description: `${topology.app} ${key}: the table's stream -> this region's own writes -> chat events -> the bus`,
      roleArn: role.roleArn,
      source: streamArn,
      sourceParameters: {
        dynamoDbStreamParameters: {
          // A new feed starts with what happens from now on, not the stream's last 24 hours.
          startingPosition: 'LATEST',
          batchSize: 100,
          maximumBatchingWindowInSeconds: 1,
          // Retried, halving the batch to find the failing record, then sent to the queue: the shard moves on.
          maximumRetryAttempts: 10,
          onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          deadLetterConfig: { arn: this.deadLetters.queueArn },
        },
        filterCriteria: {
          filters: eventFilterPatterns(key).map((pattern) => ({ pattern: JSON.stringify(pattern) })),
        },
      },
      enrichment: this.enrichment.function.functionArn,
      target: this.bus.eventBusArn,
      targetParameters: {
        // Each item the enrichment returns is one event: its `type` is the detail type, the event the detail.
        eventBridgeEventBusParameters: { detailType: '$.type', source },
      },
      // Errors only, and no execution data: the events carry what users wrote.
      logConfiguration: { level: 'ERROR', cloudwatchLogsLogDestination: { logGroupArn: logs.logGroupArn } },
      desiredState: 'RUNNING',
    });
    // Pipes checks the role's permissions when the pipe is made: it waits for the policy, not just the role.
    const policy = role.node.tryFindChild('DefaultPolicy');
    if (policy) this.pipe.node.addDependency(policy);

    if (settings.kinesisShards !== undefined) {
      this.log = new Stream(this, 'Log', {
        streamName: names.eventStream(topology, key),
        shardCount: settings.kinesisShards,
        encryption: StreamEncryption.MANAGED,
        retentionPeriod: EVENT_LOG_RETENTION,
      });
      new Rule(this, 'ToLog', {
        description: `${topology.app} ${key}: every chat event into the Kinesis log, keyed by room`,
        eventBus: this.bus,
        eventPattern: { source: [source] },
        targets: [
          new KinesisStream(this.log, {
            // One room's events go to one shard.
            partitionKeyPath: '$.detail.roomId',
            deadLetterQueue: this.deadLetters,
            retryAttempts: 185,
            maxEventAge: Duration.hours(24),
          }),
        ],
      });
    }
  }

  /**
   * The stream of this region's replica. A Global Table's replica in another region exposes no stream ARN to
   * CloudFormation (the table lives in the home region's stack), so the deploy reads it with DescribeTable.
   */
  private replicaStreamArn(topology: Topology, tableArn: string): string {
    const describe = {
      service: 'DynamoDB',
      action: 'describeTable',
      parameters: { TableName: names.table(topology) },
      physicalResourceId: PhysicalResourceId.fromResponse('Table.LatestStreamArn'),
      outputPaths: ['Table.LatestStreamArn'],
    };
    const reader = new AwsCustomResource(this, 'StreamArn', {
      onCreate: describe,
      onUpdate: describe,
      policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: [tableArn] }),
      installLatestAwsSdk: false,
    });
    const provider = Stack.of(this).node.tryFindChild(
      `AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replaceAll('-', '')}`,
    );
    const providerRole = provider?.node.tryFindChild('ServiceRole');
    if (providerRole) {
      Validations.of(providerRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "aws-cdk-lib's provider of AWS SDK calls at deploy time, run once per deploy to read the replica's stream ARN (DescribeTable on this table only); AWS's basic execution policy lets it write its logs",
      });
    }
    return reader.getResponseField('Table.LatestStreamArn');
  }
}
