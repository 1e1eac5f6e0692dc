/**
 * Observability deployed with the stacks: a 3-region app in dev auth mode (the canary needs it) with paging
 * subscriptions, synthesized once with placeholder code and asserted on: the SNS topic and its subscriptions,
 * every alarm with its metric's documented name and dimensions, the dashboards, the canary and the CALCULATED
 * health check the latency record carries, and the surge controller.
 */
import { App, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { names } from '../../core/names.js';
import { RUNTIME_ENV } from '../../core/runtime-env.js';
import { defaultTopology, type Topology } from '../../core/topology.js';
import { addChatStacks, type ChatStacks } from '../../stacks/app.js';
import { ALARM_THRESHOLDS } from '../../stacks/observability.js';
import type { RegionStack } from '../../stacks/region-stack.js';

let app: App;
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

type AlarmProps = {
  AlarmName: string;
  MetricName?: string;
  Namespace?: string;
  Dimensions?: { Name: string; Value: unknown }[];
  Statistic?: string;
  ExtendedStatistic?: string;
  Threshold: number;
  ComparisonOperator: string;
  EvaluationPeriods: number;
  TreatMissingData?: string;
  AlarmActions: unknown[];
  OKActions: unknown[];
  Metrics?: {
    Id: string;
    Expression?: string;
    MetricStat?: { Metric: { MetricName: string; Namespace: string } };
  }[];
};

function alarms(stack: Stack): Map<string, AlarmProps> {
  const out = new Map<string, AlarmProps>();
  for (const resource of Object.values(template(stack).findResources('AWS::CloudWatch::Alarm'))) {
    const props = (resource as { Properties: AlarmProps }).Properties;
    out.set(props.AlarmName, props);
  }
  return out;
}

const region = (key: string) => stacks.regions.get(key) as RegionStack;

beforeAll(() => {
  topology = {
    ...defaultTopology({ target: 'aws' }),
    account: '123456789012',
    paging: { email: ['oncall@example.com'], https: ['https://pager.example.com/hook'] },
  };
  app = new App();
  stacks = addChatStacks(app, topology, { code: { kind: 'placeholder' } });
  app.synth();
}, 300_000);

describe('stacks observability (3 regions, dev auth, paging)', { timeout: 120_000 }, () => {
  it('paging: one SNS topic per region, TLS only, with an email and an HTTPS subscription from chatctl.json', () => {
    for (const key of ['seoul', 'tokyo', 'na']) {
      const t = template(region(key));
      t.resourceCountIs('AWS::SNS::Topic', 1);
      t.hasResourceProperties('AWS::SNS::Topic', { TopicName: names.alarmTopic(topology, key) });
      t.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      t.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'oncall@example.com',
      });
      t.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'https',
        Endpoint: 'https://pager.example.com/hook',
      });
    }
  });

  it('alarms: every alarm is named <app>-<region>- and notifies the region topic on ALARM and on OK', () => {
    const stack = region('tokyo');
    const topic = { Ref: stack.getLogicalId(stack.observability.topic.node.defaultChild as never) };
    const all = alarms(stack);
    expect(all.size).toBeGreaterThan(30);
    for (const [name, props] of all) {
      expect(name).toMatch(/^chat-tokyo-/);
      expect(props.AlarmActions, name).toEqual([topic]);
      expect(props.OKActions, name).toEqual([topic]);
    }
  });

  it('alarms: the WebSocket API by ApiId and Stage (IntegrationError, ExecutionError, ClientError rate, connect rate)', () => {
    const stack = region('seoul');
    const all = alarms(stack);
    const apiId = { Ref: stack.getLogicalId(stack.webSocketApi.node.defaultChild as never) };
    const dims = [
      { Name: 'ApiId', Value: apiId },
      { Name: 'Stage', Value: 'prod' },
    ];
    expect(all.get('chat-seoul-ws-integration-errors')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: 'IntegrationError',
      Dimensions: dims,
      Statistic: 'Sum',
      Threshold: ALARM_THRESHOLDS.integrationErrors,
    });
    expect(all.get('chat-seoul-ws-execution-errors')).toMatchObject({
      MetricName: 'ExecutionError',
      Dimensions: dims,
    });
    const rate = all.get('chat-seoul-ws-client-error-rate')!;
    expect(rate.Metrics?.find((m) => m.Expression)?.Expression).toBe('IF(m > 0, 100 * c / m, 0)');
    expect(
      rate.Metrics?.map((m) => m.MetricStat?.Metric.MetricName)
        .filter(Boolean)
        .sort(),
    ).toEqual(['ClientError', 'MessageCount']);
    const connects = all.get('chat-seoul-ws-connect-rate')!;
    expect(connects.Threshold).toBe(400);
    expect(connects.Metrics?.find((m) => m.Expression)?.Expression).toBe('c / 60');
    expect(connects.Metrics?.find((m) => m.MetricStat)?.MetricStat?.Metric.MetricName).toBe('ConnectCount');
  });

  it('alarms: each lane has Errors, Throttles, ConcurrentExecutions at 80% of its reservation, and Duration p99', () => {
    const all = alarms(region('na'));
    for (const [route, reserved] of Object.entries(topology.lanes)) {
      const fn = [{ Name: 'FunctionName', Value: `chat-na-${route}` }];
      expect(all.get(`chat-na-fn-${route}-errors`), route).toMatchObject({
        MetricName: 'Errors',
        Dimensions: fn,
      });
      expect(all.get(`chat-na-lane-${route}-throttles`), route).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Throttles',
        Dimensions: fn,
        Threshold: 1,
      });
      expect(all.get(`chat-na-lane-${route}-concurrency`), route).toMatchObject({
        MetricName: 'ConcurrentExecutions',
        Statistic: 'Maximum',
        Dimensions: fn,
        Threshold: Math.floor((reserved as number) * 0.8),
      });
      expect(all.get(`chat-na-lane-${route}-duration-p99`), route).toMatchObject({
        MetricName: 'Duration',
        ExtendedStatistic: 'p99',
      });
    }
    // A route without a lane gets an errors alarm but no lane alarms.
    expect(all.has('chat-na-fn-disconnect-errors')).toBe(true);
    expect(all.has('chat-na-lane-disconnect-throttles')).toBe(false);
  });

  it('alarms: ReplicationLatency per source -> receiving pair (TableName + ReceivingRegion), table throttles, relay errors', () => {
    const all = alarms(region('seoul'));
    for (const [key, awsRegion] of [
      ['tokyo', 'ap-northeast-1'],
      ['na', 'us-west-2'],
    ]) {
      expect(all.get(`chat-seoul-replication-to-${key}`)).toMatchObject({
        Namespace: 'AWS/DynamoDB',
        MetricName: 'ReplicationLatency',
        Dimensions: [
          { Name: 'ReceivingRegion', Value: awsRegion },
          { Name: 'TableName', Value: 'chat-chat' },
        ],
        Threshold: topology.replication.lagThresholdMs,
      });
    }
    expect(all.has('chat-seoul-replication-to-seoul')).toBe(false);
    const throttles = all.get('chat-seoul-table-throttles')!;
    expect(
      throttles.Metrics?.map((m) => m.MetricStat?.Metric.MetricName)
        .filter(Boolean)
        .sort(),
    ).toEqual(['ReadThrottleEvents', 'WriteThrottleEvents']);
    expect(all.get('chat-seoul-relay-errors')).toMatchObject({
      Namespace: 'chatctl/chat',
      MetricName: 'RelayErrors',
      Dimensions: [{ Name: 'Region', Value: 'seoul' }],
      Statistic: 'Sum',
    });
    expect(all.get('chat-seoul-relay-failed-events')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: 'chat-seoul-relay-failed' }],
      Statistic: 'Maximum',
      Period: 300,
    });
  });

  it('canary: a function run every minute with the region URL, and an alarm that treats no data as failure', () => {
    const stack = region('tokyo');
    const t = template(stack);
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'chat-tokyo-canary',
      Environment: {
        Variables: Match.objectLike({
          [RUNTIME_ENV.canaryUrl]: 'wss://tokyo.chat.example.com/prod',
          [RUNTIME_ENV.regionKey]: 'tokyo',
          [RUNTIME_ENV.metricsNamespace]: 'chatctl/chat',
        }),
      },
    });
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: {
            'Fn::GetAtt': [
              stack.getLogicalId(stack.canary!.function.function.node.defaultChild as never),
              'Arn',
            ],
          },
        }),
      ],
    });
    expect(alarms(stack).get('chat-tokyo-canary')).toMatchObject({
      Namespace: 'chatctl/chat',
      MetricName: 'CanarySuccess',
      Dimensions: [{ Name: 'Region', Value: 'tokyo' }],
      Statistic: 'Minimum',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    expect(alarms(stack).get('chat-tokyo-canary-latency')).toMatchObject({ MetricName: 'CanaryLatency' });
  });

  it('health check: the latency record carries a CALCULATED check over the judges of the region (itself and the next two), never the /health check', () => {
    const judges: Record<string, string[]> = {
      seoul: ['seoul', 'tokyo', 'na'],
      tokyo: ['tokyo', 'na', 'seoul'],
      na: ['na', 'seoul', 'tokyo'],
    };
    for (const [key, awsRegion] of [
      ['seoul', 'ap-northeast-2'],
      ['tokyo', 'ap-northeast-1'],
      ['na', 'us-west-2'],
    ]) {
      const stack = region(key);
      const t = template(stack);
      const id = (check: object) => ({ 'Fn::GetAtt': [stack.getLogicalId(check as never), 'HealthCheckId'] });
      const canary = stack.canary!;
      expect(stack.routingCheck).toBe(canary.routingCheck);
      expect(canary.judgements.map((j) => j.judge)).toEqual(judges[key]);
      t.hasResourceProperties('AWS::Route53::HealthCheck', {
        HealthCheckConfig: {
          Type: 'CALCULATED',
          ChildHealthChecks: canary.judgements.map((j) => id(j.check)),
          HealthThreshold: 2,
        },
        HealthCheckTags: [{ Key: 'Name', Value: names.healthCheckReference(topology, key) }],
      });
      for (const judgement of canary.judgements) {
        t.hasResourceProperties('AWS::Route53::HealthCheck', {
          HealthCheckConfig: {
            Type: 'CLOUDWATCH_METRIC',
            AlarmIdentifier: {
              Name: { Ref: stack.getLogicalId(judgement.alarm.node.defaultChild as never) },
              Region: awsRegion,
            },
            InsufficientDataHealthStatus: 'Unhealthy',
          },
        });
        const slug = judgement.judge === key ? 'canary' : `canary-from-${judgement.judge}`;
        expect(alarms(stack).get(`chat-${key}-${slug}`)).toMatchObject({
          MetricName: 'CanarySuccess',
          Dimensions:
            judgement.judge === key
              ? [{ Name: 'Region', Value: key }]
              : [
                  { Name: 'Judge', Value: judgement.judge },
                  { Name: 'Region', Value: key },
                ],
          Statistic: 'Minimum',
          Period: 60,
          EvaluationPeriods: 2,
          TreatMissingData: 'breaching',
        });
      }
      // The /health check stays, watched, outside the routing check.
      t.hasResourceProperties('AWS::Route53::HealthCheck', {
        HealthCheckConfig: Match.objectLike({ Type: 'HTTPS', ResourcePath: '/health' }),
        HealthCheckTags: [{ Key: 'Name', Value: `${names.healthCheckReference(topology, key)}-http` }],
      });
      t.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'chat.example.com.',
        SetIdentifier: key,
        HealthCheckId: id(canary.routingCheck),
      });
      t.hasOutput('HealthCheckId', { Value: id(canary.routingCheck) });
    }
  });

  it('surge controller: scheduled every minute, subscribed to the alarm topic, reading the lanes it is given', () => {
    const stack = region('seoul');
    const t = template(stack);
    const fnId = stack.getLogicalId(stack.surge.function.function.node.defaultChild as never);
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'chat-seoul-surge',
      Environment: { Variables: Match.objectLike({ [RUNTIME_ENV.surgeLanes]: Match.anyValue() }) },
    });
    const fn = Object.values(t.findResources('AWS::Lambda::Function')).find(
      (r) => (r as { Properties: { FunctionName: string } }).Properties.FunctionName === 'chat-seoul-surge',
    ) as { Properties: { Environment: { Variables: Record<string, string> } } };
    expect(JSON.parse(fn.Properties.Environment.Variables[RUNTIME_ENV.surgeLanes])).toEqual({
      send: { functionName: 'chat-seoul-send', reserved: 200 },
      relay: { functionName: 'chat-seoul-relay', reserved: 100 },
      connect: { functionName: 'chat-seoul-connect', reserved: 100 },
      join: { functionName: 'chat-seoul-join', reserved: 50 },
      history: { functionName: 'chat-seoul-history', reserved: 25 },
      react: { functionName: 'chat-seoul-react', reserved: 25 },
    });
    t.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      Endpoint: { 'Fn::GetAtt': [fnId, 'Arn'] },
    });
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } })],
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] }),
          Match.objectLike({ Action: 'cloudwatch:GetMetricData', Resource: '*' }),
        ]),
      },
    });
  });

  it('dashboards: one per region, and a global one with every region side by side and the lag matrix', () => {
    template(region('na')).hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'chat-na' });
    const global = stacks.globalData.dashboard;
    template(stacks.globalData).hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'chat-global',
    });
    expect([...global.lagCells.keys()].sort()).toEqual([
      'na->seoul',
      'na->tokyo',
      'seoul->na',
      'seoul->tokyo',
      'tokyo->na',
      'tokyo->seoul',
    ]);
    const [dashboard] = Object.values(
      template(stacks.globalData).findResources('AWS::CloudWatch::Dashboard'),
    ) as {
      Properties: { DashboardBody: unknown };
    }[];
    const body = JSON.stringify(stacks.globalData.resolve(dashboard.Properties.DashboardBody));
    // Each cell's metric lives in the source region, dimensioned by the receiving one.
    expect(body).toContain(
      '\\"ReplicationLatency\\",\\"ReceivingRegion\\",\\"us-west-2\\",\\"TableName\\",\\"chat-chat\\"',
    );
    for (const fn of ['chat-seoul-connect', 'chat-tokyo-connect', 'chat-na-connect'])
      expect(body).toContain(fn);
    expect(body).toContain('\\"region\\":\\"us-west-2\\"');
  });

  it('nag: the AwsSolutions checks pass on every stack with the observability resources', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(
      report.violations.map((v) => `${v.ruleName} at ${v.violatingResources[0]?.constructPath}`),
    ).toEqual([]);
  });
});
