/**
 * Analytics (topology.analytics.enabled): the home replica's stream -> Lambda flattener (route `stream`) ->
 * Kinesis Data Firehose -> S3 (GZIP, 128 MiB / 60 s buffers, year=/month=/day=/hour= prefixes), and a Glue
 * table with partition projection so Athena reads only the partitions a query names.
 */
import { type CfnResource, Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Compression, DeliveryStream, S3Bucket, StreamEncryption } from 'aws-cdk-lib/aws-kinesisfirehose';
import { EventSourceMapping, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { names } from '../core/names.js';
import type { Topology } from '../core/topology.js';
import { ChatFunction, type HandlerCode } from './chat-function.js';
import { runtimeEnvironment } from './runtime-environment.js';
import { StackPropsError } from './validate.js';

export const ANALYTICS_PREFIX =
  'events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';
export const ANALYTICS_ERROR_PREFIX =
  'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';

/**
 * The columns of the rows runtime/analytics/stream.ts writes: the item's keys plus its NewImage as plain
 * key/values. The OpenX JSON SerDe matches JSON keys to columns case-insensitively (roomId -> roomid).
 */
export const ANALYTICS_COLUMNS = [
  {
    name: 'pk',
    type: 'string',
    comment: 'partition key: ROOM#<roomId>, CONN#<region>#<connectionId>, CONFIG...',
  },
  { name: 'sk', type: 'string', comment: 'sort key: MSG#<id>, NOTICE, MEMBER#<userId>, CONN#..., META...' },
  { name: 'type', type: 'string', comment: 'message, notice, member, presence, connection, ...' },
  { name: 'roomid', type: 'string' },
  { name: 'messageid', type: 'string' },
  { name: 'userid', type: 'string' },
  { name: 'region', type: 'string', comment: 'region key where it happened' },
  { name: 'text', type: 'string' },
  { name: 'clientmsgid', type: 'string' },
  { name: 'parentid', type: 'string', comment: 'set on replies' },
  {
    name: 'reactions',
    type: 'map<string,array<string>>',
    comment: 'emoji -> user ids (items written before reaction items)',
  },
  { name: 'emoji', type: 'string', comment: 'on a reaction item' },
  { name: 'removed', type: 'boolean', comment: 'a reaction removal (tombstone)' },
  { name: 'at', type: 'bigint', comment: 'when a reaction was added or removed, epoch milliseconds' },
  { name: 'sentthrough', type: 'string', comment: 'on presence: the newest clientMsgId its sends pushed' },
  { name: 'connectionid', type: 'string' },
  { name: 'sentat', type: 'bigint', comment: 'epoch milliseconds' },
  { name: 'joinedat', type: 'bigint', comment: 'epoch milliseconds' },
  { name: 'connectedat', type: 'bigint', comment: 'epoch milliseconds' },
  { name: 'setat', type: 'bigint', comment: 'when a notice was pinned, epoch milliseconds' },
  { name: 'expiresat', type: 'bigint', comment: 'TTL, epoch seconds' },
] as const;

export interface AnalyticsProps {
  readonly topology: Topology;
  readonly table: TableV2;
  readonly code: HandlerCode;
}

export class Analytics extends Construct {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;
  readonly deliveryStream: DeliveryStream;
  readonly flattener: ChatFunction;
  /** Stream records the flattener still failed on after its retries (metadata of the batch, kept 14 days). */
  readonly failedRecords: Queue;
  readonly database: CfnDatabase;
  readonly glueTable: CfnTable;

  constructor(scope: Construct, id: string, props: AnalyticsProps) {
    super(scope, id);
    const { topology } = props;
    if (!topology.analytics.enabled) {
      throw new StackPropsError('Analytics', 'topology.analytics.enabled is false');
    }
    const stack = Stack.of(this);

    this.accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new Bucket(this, 'Events', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'events-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.deliveryStream = new DeliveryStream(this, 'Firehose', {
      deliveryStreamName: names.firehoseStream(topology),
      encryption: StreamEncryption.awsOwnedKey(),
      destination: new S3Bucket(this.bucket, {
        compression: Compression.GZIP,
        bufferingInterval: Duration.seconds(60),
        bufferingSize: Size.mebibytes(128),
        dataOutputPrefix: ANALYTICS_PREFIX,
        errorOutputPrefix: ANALYTICS_ERROR_PREFIX,
      }),
    });

    const firehoseRole = this.deliveryStream.node.findChild('S3 Destination Role');
    for (const finding of [
      'Action::s3:GetObject*',
      'Action::s3:GetBucket*',
      'Action::s3:List*',
      'Action::s3:DeleteObject*',
      'Action::s3:Abort*',
      `Resource::<${stack.resolve((this.bucket.node.defaultChild as CfnResource).logicalId)}.Arn>/*`,
    ]) {
      Validations.of(firehoseRole).acknowledge({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason:
          "generated by the Firehose S3 destination's grant: read/write on the analytics bucket and its objects only (Firehose names objects by time, and cleans up failed multipart uploads)",
      });
    }

    this.flattener = new ChatFunction(this, 'Flattener', {
      functionName: names.function(topology, topology.homeRegion, 'stream'),
      route: 'stream',
      code: props.code,
      // The flattener never sees a connection: no auth settings (and no dependency on the auth stack).
      environment: runtimeEnvironment(topology, topology.homeRegion, { mode: 'none' }),
      reservedConcurrency: topology.lanes.stream,
      timeout: Duration.seconds(60),
      description: `${topology.app}: flattens chat table changes into analytics events`,
    });
    const streamArn = props.table.tableStreamArn;
    if (!streamArn) throw new StackPropsError('Analytics', 'the chat table has no stream');
    this.flattener.role.addToPolicy(
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
    this.flattener.role.addToPolicy(
      new PolicyStatement({
        actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        resources: [this.deliveryStream.deliveryStreamArn],
      }),
    );
    this.failedRecords = new Queue(this, 'FailedRecords', {
      queueName: names.analyticsDeadLetters(topology),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failedRecords).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "this queue is the stream mapping's on-failure destination: it is where failed records end, it needs no queue of its own",
    });
    new EventSourceMapping(this, 'StreamSource', {
      target: this.flattener.function,
      eventSourceArn: streamArn,
      startingPosition: StartingPosition.LATEST,
      batchSize: 500,
      maxBatchingWindow: Duration.seconds(5),
      bisectBatchOnError: true,
      retryAttempts: 3,
      // The handler answers batchItemFailures (runtime/app.ts); what still fails goes to the queue, not away.
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(this.failedRecords),
    });

    const databaseName = `${topology.app.replaceAll('-', '_')}_chat_analytics`;
    this.database = new CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: { name: databaseName, description: `${topology.app} chat events` },
    });
    const location = `s3://${this.bucket.bucketName}/events/`;
    this.glueTable = new CfnTable(this, 'EventsTable', {
      catalogId: stack.account,
      databaseName,
      tableInput: {
        name: 'events',
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          'projection.year.type': 'integer',
          'projection.year.range': '2025,2100',
          'projection.month.type': 'integer',
          'projection.month.range': '1,12',
          'projection.month.digits': '2',
          'projection.day.type': 'integer',
          'projection.day.range': '1,31',
          'projection.day.digits': '2',
          'projection.hour.type': 'integer',
          'projection.hour.range': '0,23',
          'projection.hour.digits': '2',
          'storage.location.template': `${location}year=\${year}/month=\${month}/day=\${day}/hour=\${hour}/`,
        },
        partitionKeys: ['year', 'month', 'day', 'hour'].map((name) => ({ name, type: 'string' })),
        storageDescriptor: {
          location,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          compressed: true,
          serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
          columns: ANALYTICS_COLUMNS.map((c) => ({ ...c })),
        },
      },
    });
    this.glueTable.addResourceDependency(this.database);
  }
}
