// A region's chat event feed as synthesized: the pipe from the replica's stream, filtered by the very patterns the
// sandbox's local bus evaluates, enriched by the events function, onto a bus with an archive; the dead-letter
// queue and its alarm; the optional Kinesis log. Off (no events section) the region has none of it.
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { eventFilterPatterns } from '../../core/events.js';
import { defaultTopology, type Topology } from '../../core/topology.js';
import { RegionStack } from '../../stacks/region-stack.js';

const auth = { mode: 'dev', secretName: 'chat/chat/dev-token-secret' } as const;
const code = { kind: 'placeholder' } as const;
const topology = (events?: Topology['events']): Topology => ({
  ...defaultTopology({ target: 'aws' }),
  account: '123456789012',
  ...(events ? { events } : {}),
});

function synth(events?: Topology['events'], key = 'tokyo') {
  const app = new App();
  const stack = new RegionStack(app, `chat-region-${key}`, {
    topology: topology(events),
    regionKey: key,
    code,
    auth,
  });
  return { app, stack, template: Template.fromStack(stack) };
}

type Resource = { Properties: Record<string, unknown> };
const only = (template: Template, type: string) => {
  const found = Object.entries(template.findResources(type)) as [string, Resource][];
  expect(found, type).toHaveLength(1);
  return found[0];
};

describe('stacks: the chat event feed', { timeout: 120_000 }, () => {
  it("events: the pipe reads the region's replica stream, filters by eventFilterPatterns, enriches with the events function and publishes to the bus", () => {
    const { template } = synth({ enabled: true });
    const [, pipe] = only(template, 'AWS::Pipes::Pipe');
    const props = pipe.Properties as {
      Name: string;
      Source: unknown;
      Enrichment: unknown;
      Target: unknown;
      SourceParameters: {
        DynamoDBStreamParameters: Record<string, unknown>;
        FilterCriteria: { Filters: { Pattern: string }[] };
      };
      TargetParameters: { EventBridgeEventBusParameters: Record<string, unknown> };
    };
    expect(props.Name).toBe('chat-tokyo-chat-events');
    // The filter is the shared rule, for this region's key.
    expect(props.SourceParameters.FilterCriteria.Filters.map((f) => JSON.parse(f.Pattern))).toEqual(
      eventFilterPatterns('tokyo'),
    );
    expect(props.SourceParameters.DynamoDBStreamParameters).toMatchObject({
      StartingPosition: 'LATEST',
      OnPartialBatchItemFailure: 'AUTOMATIC_BISECT',
      MaximumRetryAttempts: 10,
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^EventsDeadLetters/), 'Arn'] } },
    });
    // The source is the replica's stream as DescribeTable reads it at deploy time (no CloudFormation attribute has it).
    expect(JSON.stringify(props.Source)).toMatch(/AWS679f53fac002430cb0da5b7982bd2287|EventsStreamArn/);
    template.hasResourceProperties('Custom::AWS', {
      Create: Match.serializedJson(
        Match.objectLike({
          service: 'DynamoDB',
          action: 'describeTable',
          parameters: { TableName: 'chat-chat' },
        }),
      ),
    });
    const [fnId] = (
      Object.entries(template.findResources('AWS::Lambda::Function')) as [string, Resource][]
    ).find(([, r]) => r.Properties.FunctionName === 'chat-tokyo-events')!;
    expect(props.Enrichment).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'chat-tokyo-events',
      Environment: { Variables: Match.objectLike({ CHAT_REGION_KEY: 'tokyo' }) },
    });
    const [busId, bus] = only(template, 'AWS::Events::EventBus');
    expect(bus.Properties.Name).toBe('chat-tokyo-chat-events');
    expect(props.Target).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
    expect(props.TargetParameters.EventBridgeEventBusParameters).toEqual({
      DetailType: '$.type',
      Source: 'chat.chat',
    });
  });

  it("events: the pipe's role may read the stream, invoke the enrichment, put on its bus and send to its queue, nothing more", () => {
    const { template } = synth({ enabled: true });
    const [roleId] = (Object.entries(template.findResources('AWS::IAM::Role')) as [string, Resource][]).find(
      ([, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('pipes.amazonaws.com'),
    )!;
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
    const policy = policies.find((p) => JSON.stringify(p.Properties.Roles).includes(roleId))!;
    const actions = (
      policy.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] }
    ).Statement.flatMap((s) => [s.Action].flat());
    expect(actions.sort()).toEqual(
      [
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        'events:PutEvents',
        'lambda:InvokeFunction',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:SendMessage',
      ].sort(),
    );
    // The trust names this account only (the confused deputy).
    const role = template.findResources('AWS::IAM::Role')[roleId] as Resource;
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain(
      '"aws:SourceAccount":"123456789012"',
    );
  });

  it('events: an archive of the feed for replay (30 days by default, as set), a dead-letter queue and an alarm that pages', () => {
    const { template } = synth({ enabled: true });
    const [, archive] = only(template, 'AWS::Events::Archive');
    expect(archive.Properties).toMatchObject({ RetentionDays: 30, EventPattern: { source: ['chat.chat'] } });
    // The region's other queue is the relay's on-failure destination (stacks/relay-async.ts); the feed adds one.
    const feedQueues = Object.entries(template.findResources('AWS::SQS::Queue')).filter(
      ([, q]) => (q as Resource).Properties.QueueName === 'chat-tokyo-chat-events-failed',
    ) as [string, Resource][];
    expect(feedQueues).toHaveLength(1);
    const [queueId, queue] = feedQueues[0];
    expect(queue.Properties).toMatchObject({
      QueueName: 'chat-tokyo-chat-events-failed',
      SqsManagedSseEnabled: true,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'chat-tokyo-events-dead-letters',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [Match.objectLike({ Ref: Match.stringLikeRegexp('AlarmTopic') })],
    });
    expect(
      only(synth({ enabled: true, archiveDays: 7 }).template, 'AWS::Events::Archive')[1].Properties
        .RetentionDays,
    ).toBe(7);
    expect(
      only(synth({ enabled: true, archiveDays: 0 }).template, 'AWS::Events::Archive')[1].Properties
        .RetentionDays,
    ).toBe(0); // EventBridge keeps an archive with 0 days indefinitely
  });

  it('events: kinesisShards adds a Kinesis log, fed by a rule on the bus keyed by room, failures to the same queue', () => {
    const { template } = synth({ enabled: true, kinesisShards: 3 });
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      Name: 'chat-tokyo-chat-events',
      ShardCount: 3,
      RetentionPeriodHours: 168,
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
    const rules = (Object.values(template.findResources('AWS::Events::Rule')) as Resource[]).filter(
      (r) => r.Properties.EventBusName !== undefined,
    );
    expect(rules).toHaveLength(1);
    const [rule] = rules;
    const targets = rule.Properties.Targets as Record<string, unknown>[];
    expect(rule.Properties.EventPattern).toEqual({ source: ['chat.chat'] });
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({
      KinesisParameters: { PartitionKeyPath: '$.detail.roomId' },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^EventsDeadLetters/), 'Arn'] } },
    });
    synth({ enabled: true }).template.resourceCountIs('AWS::Kinesis::Stream', 0);
  });

  it('events: without the events section, or with it off, a region has no pipe, bus, archive or queue', () => {
    for (const events of [undefined, { enabled: false }]) {
      const { template } = synth(events);
      for (const type of [
        'AWS::Pipes::Pipe',
        'AWS::Events::EventBus',
        'AWS::Events::Archive',
        'Custom::AWS',
      ]) {
        template.resourceCountIs(type, 0);
      }
      // The relay's on-failure queue is the region's only queue without the feed.
      const queues = Object.values(template.findResources('AWS::SQS::Queue')) as Resource[];
      expect(queues.map((q) => q.Properties.QueueName)).toEqual(['chat-tokyo-relay-failed']);
    }
  });

  it('events: cdk-nag finds nothing unacknowledged in a region with the feed and its log', () => {
    const { app } = synth({ enabled: true, kinesisShards: 1 }, 'seoul');
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(
      report.violations.map((v) => `${v.ruleName} at ${v.violatingResources[0]?.constructPath}`),
    ).toEqual([]);
  });
});
