/**
 * The whole app for a 3-region topology with every optional part on (analytics, a Cognito pool created by the
 * stacks, the China proxy), synthesized once with placeholder code (no bundling) and asserted on many ways.
 */
import { App, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { cdkJsonContext } from '../../cli/ops/deploy/assembly.js';
import { assemblyStacks, planFromAssembly } from '../../cli/ops/deploy/plan.js';
import { names } from '../../core/names.js';
import { RELAY_ASYNC } from '../../core/relay-async.js';
import { RUNTIME_ENV } from '../../core/runtime-env.js';
import { defaultTopology, type Topology } from '../../core/topology.js';
import { ANALYTICS_ERROR_PREFIX, ANALYTICS_PREFIX } from '../../stacks/analytics.js';
import { addChatStacks, type ChatStacks } from '../../stacks/app.js';
import { WEBSOCKET_ROUTES } from '../../stacks/region-stack.js';
import { insecureAwsSynthProblems } from '../../stacks/secure-synth.js';

let app: App;
let assembly: ReturnType<App['synth']>;
let stacks: ChatStacks;
let topology: Topology;
const templates = new Map<Stack, Template>();
const template = (stack: Stack) => {
  let t = templates.get(stack);
  if (!t) {
    t = Template.fromStack(stack);
    templates.set(stack, t);
  }
  return t;
};

type PolicyStatement = { Action: string | string[]; Resource: unknown; Effect: string };
function statements(stack: Stack): PolicyStatement[] {
  return Object.values(template(stack).findResources('AWS::IAM::Policy')).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: PolicyStatement[] } } }).Properties.PolicyDocument
        .Statement,
  );
}

beforeAll(() => {
  topology = {
    ...defaultTopology({ target: 'aws' }),
    account: '123456789012',
    analytics: { enabled: true },
    auth: { mode: 'cognito' },
  };
  // cdk.json's feature flags, as the CDK CLI and chatctl synthesize with them.
  app = new App({ context: cdkJsonContext() });
  stacks = addChatStacks(app, topology, { code: { kind: 'placeholder' } });
  assembly = app.synth();
}, 300_000);

describe('stacks app (3 regions, analytics, Cognito, China proxy)', { timeout: 120_000 }, () => {
  it('app: builds global data, auth, one stack per region and the China proxy, in deploy order', () => {
    expect(stacks.ordered.map((s) => s.stackName)).toEqual([
      'chat-global-data',
      'chat-auth',
      'chat-region-seoul',
      'chat-region-tokyo',
      'chat-region-na',
      'chat-china-proxy',
    ]);
    expect(stacks.ordered.map((s) => s.region)).toEqual([
      'ap-northeast-2',
      'ap-northeast-2',
      'ap-northeast-2',
      'ap-northeast-1',
      'us-west-2',
      'us-east-1',
    ]);
  });

  it("app: the deploy plan from the assembly's dependency graph lists every stack, each after its dependencies", () => {
    const plan = planFromAssembly(topology, assemblyStacks(assembly));
    expect(plan.map((p) => [p.stackName, p.awsRegion])).toEqual(
      stacks.ordered.map((s) => [s.stackName, s.region]),
    );
    expect([...(plan.find((p) => p.stackName === 'chat-region-tokyo')?.dependsOn ?? [])].sort()).toEqual([
      'chat-auth',
      'chat-global-data',
    ]);
    // The analytics function needs no pool ids: global data does not wait for (or import from) auth.
    expect(plan[0]).toMatchObject({ stackName: 'chat-global-data', dependsOn: [] });
    expect(JSON.stringify(template(stacks.globalData).toJSON())).not.toMatch(
      /ImportValue|UserPool|ExportsReader/,
    );
  });

  it('app: no template carries a token secret, and the feature flags of cdk.json are set', () => {
    expect(insecureAwsSynthProblems(app, topology)).toEqual([]);
    for (const stack of stacks.ordered) {
      expect(JSON.stringify(template(stack).toJSON())).not.toContain(`"${RUNTIME_ENV.devTokenSecret}"`);
    }
    const flags = cdkJsonContext();
    expect(Object.keys(flags).length).toBeGreaterThan(80);
    expect(app.node.tryGetContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy')).toBe(true);
    expect(app.node.tryGetContext('@aws-cdk/core:defaultCrossStackReferences')).toBe('strong');
  });

  it('global data: a GlobalTable with on-demand billing, stream, TTL, PITR, deletion protection and 3 replicas', () => {
    template(stacks.globalData).hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'chat-chat',
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      // The stack's own region comes last.
      Replicas: [
        Match.objectLike({ Region: 'ap-northeast-1', DeletionProtectionEnabled: true }),
        Match.objectLike({ Region: 'us-west-2', DeletionProtectionEnabled: true }),
        Match.objectLike({
          Region: 'ap-northeast-2',
          DeletionProtectionEnabled: true,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        }),
      ],
    });
    expect(stacks.globalData.replicaRegions).toEqual(['ap-northeast-1', 'us-west-2', 'ap-northeast-2']);
  });

  it('region: the WebSocket API selects routes on $request.body.action and has a route for every action', () => {
    const t = template(stacks.regions.get('tokyo')!);
    t.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
    const routeKeys = Object.values(t.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => (r as { Properties: { RouteKey: string } }).Properties.RouteKey,
    );
    expect(routeKeys.sort()).toEqual(
      [
        '$connect',
        '$disconnect',
        '$default',
        'join',
        'leave',
        'send',
        'history',
        'react',
        'notice',
        'ping',
        'GET /health',
      ].sort(),
    );
  });

  it('region: each route has its own arm64 Node 22 function, named by names.function, with its lane', () => {
    const t = template(stacks.regions.get('tokyo')!);
    for (const [route] of WEBSOCKET_ROUTES) {
      const lane = topology.lanes[route];
      t.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: names.function(topology, 'tokyo', route),
        Architectures: ['arm64'],
        Runtime: 'nodejs22.x',
        ReservedConcurrentExecutions: lane === undefined ? Match.absent() : lane,
      });
    }
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: names.relayFunction(topology, 'tokyo'),
      ReservedConcurrentExecutions: 100,
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'chat-tokyo-send',
      ReservedConcurrentExecutions: 200,
    });
    t.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'chat-tokyo-health' });
  });

  it('region: every function gets the runtime environment, with the OTHER regions as relay targets', () => {
    const t = template(stacks.regions.get('tokyo')!);
    const functions = Object.values(t.findResources('AWS::Lambda::Function')).filter((f) =>
      String((f as { Properties: { FunctionName?: string } }).Properties.FunctionName ?? '').startsWith(
        'chat-tokyo-',
      ),
    );
    // 12 chat functions, the canary and the surge controller.
    expect(functions).toHaveLength(14);
    for (const fn of functions) {
      const env = (fn as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties
        .Environment.Variables;
      expect(env[RUNTIME_ENV.tableName]).toBe('chat-chat');
      expect(env[RUNTIME_ENV.regionKey]).toBe('tokyo');
      expect(JSON.parse(env[RUNTIME_ENV.relayTargets] as string)).toEqual({
        seoul: { awsRegion: 'ap-northeast-2', functionName: 'chat-seoul-relay' },
        na: { awsRegion: 'us-west-2', functionName: 'chat-na-relay' },
      });
      expect(env[RUNTIME_ENV.authMode]).toBe('cognito');
      expect(env[RUNTIME_ENV.userPoolId]).toBeDefined();
      expect(env[RUNTIME_ENV.userPoolClientId]).toBeDefined();
      expect(env[RUNTIME_ENV.firehoseStream]).toBe('chat-chat-analytics');
    }
  });

  it('region: the stage has access logging and throttling, and is mapped at /prod on the regional domain and on chat.<domain>', () => {
    const t = template(stacks.regions.get('seoul')!);
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'prod',
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('connectionId') },
      DefaultRouteSettings: { ThrottlingBurstLimit: Match.anyValue(), ThrottlingRateLimit: Match.anyValue() },
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'seoul.chat.example.com' });
    t.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'seoul-health.chat.example.com' });
    t.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'chat.example.com' });
    const stack = stacks.regions.get('seoul')!;
    const mappings = Object.values(t.findResources('AWS::ApiGatewayV2::ApiMapping')) as {
      Properties: { ApiMappingKey: string; DomainName: unknown; Stage: unknown; ApiId: unknown };
    }[];
    const domainOf = (m: (typeof mappings)[number]) => JSON.stringify(m.Properties.DomainName);
    expect(mappings.map((m) => m.Properties.ApiMappingKey)).toEqual(['prod', 'prod', undefined]);
    const global = mappings.find((m) =>
      domainOf(m).includes(stack.getLogicalId(stack.globalDomain.node.defaultChild as never)),
    );
    expect(global, 'an API mapping of chat.<domain>').toBeDefined();
    expect(global!.Properties.ApiId).toEqual({
      Ref: stack.getLogicalId(stack.webSocketApi.node.defaultChild as never),
    });
    t.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'seoul.chat.example.com',
      SubjectAlternativeNames: ['seoul-health.chat.example.com', 'chat.example.com'],
      ValidationMethod: 'DNS',
    });
  });

  it('region: the latency record carries Region, SetIdentifier and the health check of the region', () => {
    for (const [key, awsRegion] of [
      ['seoul', 'ap-northeast-2'],
      ['tokyo', 'ap-northeast-1'],
      ['na', 'us-west-2'],
    ]) {
      const stack = stacks.regions.get(key)!;
      const t = template(stack);
      t.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'chat.example.com.',
        Type: 'A',
        Region: awsRegion,
        SetIdentifier: key,
        HostedZoneId: 'Z0SANDBOX00000000000',
        // The canary's CALCULATED check over the /health check (test/stacks/canary-cognito.test.ts).
        HealthCheckId: { 'Fn::GetAtt': [stack.getLogicalId(stack.routingCheck), 'HealthCheckId'] },
        // The alias is this region's chat.<domain> custom domain, not <key>.chat.<domain>.
        AliasTarget: Match.objectLike({
          DNSName: {
            'Fn::GetAtt': [
              stack.getLogicalId(stack.globalDomain.node.defaultChild as never),
              'RegionalDomainName',
            ],
          },
        }),
      });
      t.hasResourceProperties('AWS::Route53::HealthCheck', {
        HealthCheckConfig: {
          Type: 'HTTPS',
          FullyQualifiedDomainName: names.regionalHealthDomain(topology, key),
          ResourcePath: '/health',
          Port: 443,
          RequestInterval: 10,
          FailureThreshold: 3,
        },
        HealthCheckTags: [{ Key: 'Name', Value: `${names.healthCheckReference(topology, key)}-http` }],
      });
    }
  });

  it('region: no IAM statement has a "*" action, and none grants on "*" resources but GetMetricData, PutMetricData in the app namespace, and tracing and log delivery', () => {
    for (const stack of stacks.ordered) {
      for (const statement of statements(stack)) {
        const actions = [statement.Action].flat();
        for (const action of actions)
          expect(action, `${stack.stackName}: ${action}`).not.toMatch(/(^\*$|:\*$)/);
        // cloudwatch:GetMetricData (the surge controller) has no resource-level permissions.
        if (actions.join() === 'cloudwatch:GetMetricData') continue;
        // Nor do X-Ray's and CloudWatch Logs' log delivery (aws-cdk-lib grants them to the daily analytics
        // workflow for its tracing and logging).
        if (
          actions.every((a) =>
            /^xray:|^logs:(\w+LogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)$/.test(
              a,
            ),
          )
        )
          continue;
        // PutMetricData neither (the canary's judgements of other regions): its namespace condition scopes it.
        if (actions.join() === 'cloudwatch:PutMetricData') {
          expect(JSON.stringify(statement)).toContain('"cloudwatch:namespace":"chatctl/chat"');
          continue;
        }
        expect(statement.Resource, stack.stackName).not.toBe('*');
      }
    }
  });

  it('region: functions reach the table by its regional ARN, connections of this API only, relays by exact ARN', () => {
    const stack = stacks.regions.get('tokyo')!;
    const all = statements(stack);
    const json = JSON.stringify(all);
    expect(json).toContain(':dynamodb:ap-northeast-1:123456789012:table/chat-chat');
    expect(json).not.toContain('dynamodb:*');
    const manage = all.filter((s) => s.Action === 'execute-api:ManageConnections');
    expect(manage.length).toBe(9); // 8 route functions ($connect and $disconnect never post) + the relay
    expect(JSON.stringify(manage[0].Resource)).toContain('/prod/*/@connections/*');
    const invoke = all.filter((s) => s.Action === 'lambda:InvokeFunction');
    const invoked = new Set(
      invoke.flatMap((s) => JSON.stringify(s.Resource).match(/function:[a-z0-9-]+/g) ?? []),
    );
    // The other regions' relays only: health invokes nothing, nor do $connect and $disconnect.
    expect([...invoked].sort()).toEqual(['function:chat-na-relay', 'function:chat-seoul-relay']);
    expect(invoke).toHaveLength(8);
    const policies = template(stack).findResources('AWS::IAM::Policy');
    for (const [id, policy] of Object.entries(policies)) {
      if (!/^Fn(health|connect|disconnect)/.test(id)) continue;
      expect(JSON.stringify(policy), id).not.toMatch(/lambda:InvokeFunction|ManageConnections/);
    }
  });

  it("region: the relay's queued invocations are bounded (maximum event age, retries) and go to an encrypted, TLS-only failure queue it alone may send to, watched by an alarm", () => {
    for (const key of ['seoul', 'tokyo', 'na']) {
      const stack = stacks.regions.get(key)!;
      const t = template(stack);
      const queues = t.findResources('AWS::SQS::Queue', {
        Properties: { QueueName: names.relayFailureQueue(topology, key) },
      });
      const [queueId] = Object.keys(queues);
      expect(Object.keys(queues), key).toHaveLength(1);
      t.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: `chat-${key}-relay-failed`,
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
      t.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      const relayId = stack.getLogicalId(stack.functions.relay.function.node.defaultChild as never);
      const configs = t.findResources('AWS::Lambda::EventInvokeConfig');
      expect(Object.values(configs), key).toEqual([
        {
          Type: 'AWS::Lambda::EventInvokeConfig',
          Properties: {
            FunctionName: { Ref: relayId },
            Qualifier: '$LATEST',
            MaximumEventAgeInSeconds: RELAY_ASYNC.maxEventAgeSeconds,
            MaximumRetryAttempts: RELAY_ASYNC.maxRetryAttempts,
            DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
          },
        },
      ]);
      expect(RELAY_ASYNC.maxEventAgeSeconds).toBeLessThan(21_600); // not Lambda's default 6 hours
      // Only the relay's role may send to it.
      const senders = statements(stack).filter((s) => [s.Action].flat().includes('sqs:SendMessage'));
      expect(senders.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [queueId, 'Arn'] }]);
      const policies = t.findResources('AWS::IAM::Policy');
      const sending = Object.entries(policies).filter(([, p]) =>
        JSON.stringify(p).includes('sqs:SendMessage'),
      );
      expect(
        sending.map(([id]) => id),
        key,
      ).toEqual([expect.stringMatching(/^Fnrelay/)]);
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `chat-${key}-relay-failed-events`,
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: `chat-${key}-relay-failed` }],
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('china proxy: the origin is the global name chat.<domain>, which every region holds in its certificate and maps to its stage', () => {
    const proxy = stacks.chinaProxy!;
    expect(proxy.originDomain).toBe('chat.example.com');
    for (const [key, stack] of stacks.regions) {
      const t = template(stack);
      // CloudFront sends the origin's name as SNI and Host: each region's certificate and custom domain hold it.
      t.hasResourceProperties('AWS::CertificateManager::Certificate', {
        DomainName: `${key}.chat.example.com`,
        SubjectAlternativeNames: Match.arrayWith([proxy.originDomain]),
      });
      t.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: proxy.originDomain });
      t.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', {
        ApiMappingKey: 'prod',
        DomainName: { Ref: stack.getLogicalId(stack.globalDomain.node.defaultChild as never) },
      });
    }
    // It goes after every region: the first users in China find chat.<domain> served wherever DNS sends them.
    const plan = planFromAssembly(topology, assemblyStacks(assembly));
    expect([...(plan.find((p) => p.stackName === 'chat-china-proxy')?.dependsOn ?? [])].sort()).toEqual([
      'chat-region-na',
      'chat-region-seoul',
      'chat-region-tokyo',
    ]);
  });

  it('china proxy: all viewer headers but Host, no caching, TLS 1.2, logs, WAF', () => {
    const proxy = stacks.chinaProxy!;
    const t = template(proxy);
    t.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Comment: names.chinaDistributionComment(topology),
        Aliases: [names.chinaProxyDomain(topology)],
        Origins: [
          Match.objectLike({
            DomainName: 'chat.example.com',
            CustomOriginConfig: Match.objectLike({
              OriginProtocolPolicy: 'https-only',
              OriginSSLProtocols: ['TLSv1.2'],
            }),
          }),
        ],
        DefaultCacheBehavior: Match.objectLike({
          // AWS managed policies: CachingDisabled and AllViewerExceptHostHeader.
          CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
          OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
          ViewerProtocolPolicy: 'https-only',
        }),
        ViewerCertificate: Match.objectLike({ MinimumProtocolVersion: 'TLSv1.2_2021' }),
        WebACLId: { 'Fn::GetAtt': [proxy.getLogicalId(proxy.webAcl), 'Arn'] },
      }),
    });
    t.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'CLOUDFRONT',
      Rules: [
        Match.objectLike({ Statement: { RateBasedStatement: { Limit: 2000, AggregateKeyType: 'IP' } } }),
        Match.objectLike({
          Statement: {
            ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' },
          },
        }),
      ],
    });
    // Tokens travel in Sec-WebSocket-Protocol: the common rules' 2 KB query-string limit stays a block (it is
    // counted only under the compatibility switch auth.tokenInQuery, test/stacks/review.test.ts).
    expect(JSON.stringify(t.findResources('AWS::WAFv2::WebACL'))).not.toContain(
      'SizeRestrictions_QUERYSTRING',
    );
    expect(proxy.region).toBe('us-east-1');
    // CloudFront answers IPv6 too: an A and an AAAA alias; the output URL has the stage (without it: 403).
    for (const type of ['A', 'AAAA']) {
      t.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'cn.chat.example.com.', Type: type });
    }
    t.hasOutput('ProxyUrl', { Value: 'wss://cn.chat.example.com/prod' });
  });

  it('analytics: Firehose writes GZIP to S3 with 128 MiB / 60 s buffers and hour-partitioned prefixes', () => {
    const t = template(stacks.globalData);
    t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamName: names.firehoseStream(topology),
      ExtendedS3DestinationConfiguration: Match.objectLike({
        CompressionFormat: 'GZIP',
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 128 },
        Prefix: ANALYTICS_PREFIX,
        ErrorOutputPrefix: ANALYTICS_ERROR_PREFIX,
      }),
    });
    expect(ANALYTICS_PREFIX).toMatch(/year=.*\/month=.*\/day=.*\/hour=/);
    const queue = t.findResources('AWS::SQS::Queue');
    const [queueId] = Object.keys(queue);
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: Match.anyValue(),
      StartingPosition: 'LATEST',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 3,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    t.hasResourceProperties('AWS::SQS::Queue', { QueueName: names.analyticsDeadLetters(topology) });
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'chat-seoul-stream',
      Environment: { Variables: Match.objectLike({ [RUNTIME_ENV.authMode]: 'none' }) },
    });
    t.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        PartitionKeys: ['year', 'month', 'day', 'hour'].map((name) => ({ Name: name, Type: 'string' })),
        Parameters: Match.objectLike({ 'projection.enabled': 'true' }),
      }),
    });
    const put = statements(stacks.globalData).filter((s) =>
      [s.Action].flat().includes('firehose:PutRecordBatch'),
    );
    expect(put).toHaveLength(1);
    expect(JSON.stringify(put[0].Resource)).toContain('Firehose');
  });

  it('auth: a user pool and an app client without a secret, in the home region', () => {
    const t = template(stacks.auth!);
    t.resourceCountIs('AWS::Cognito::UserPool', 1);
    t.hasResourceProperties('AWS::Cognito::UserPoolClient', { GenerateSecret: false });
  });

  it('cdk-nag: AwsSolutions finds nothing unacknowledged, and every acknowledgment has a real reason', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(
      report.violations.map((v) => `${v.ruleName} at ${v.violatingResources[0]?.constructPath}`),
    ).toEqual([]);
    expect(report.success).toBe(true);
    const reasons: string[] = [];
    for (const construct of app.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== 'aws:cdk:acknowledged-rules') continue;
        for (const value of Object.values(entry.data as Record<string, unknown>)) {
          reasons.push(typeof value === 'string' ? value : JSON.stringify(value));
        }
      }
    }
    expect(reasons.length).toBeGreaterThan(5);
    for (const reason of reasons) expect(reason.length, reason).toBeGreaterThan(40);
  });
});
