// The controller's AWS reading. The lanes' reading: the client below answers GetMetricData itself (the test
// predates the sandbox's CloudWatch): what is tested is the queries sent (documented metric names,
// FunctionName dimension, statistics) and how the answer becomes a reading. The replication lag: read from
// the sandbox's CloudWatch, which publishes ReplicationLatency as Global Tables do.
import { CloudWatchClient, type GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_ENV } from '../../../core/runtime-env.js';
import { readInboundReplicationLag, readLaneUtilization } from '../../../runtime/surge/cloudwatch.js';
import { surgeConfigFromEnv, triggerOf } from '../../../runtime/surge/lambda.js';
import type { Sandbox } from '../../../sandbox/index.js';
import { clientConfig, startTestSandbox } from '../../sandbox/support.js';
import { eventually } from '../../support/eventually.js';

const lanes = {
  send: { functionName: 'chat-seoul-send', reserved: 200 },
  connect: { functionName: 'chat-seoul-connect', reserved: 100 },
};

describe('surge controller: CloudWatch reading and Lambda config', () => {
  it('readLaneUtilization: asks for each lane 4 metrics by FunctionName, takes the peak and the sums, follows pages', async () => {
    const inputs: GetMetricDataCommand['input'][] = [];
    const pages = [
      {
        MetricDataResults: [
          { Id: 'concurrency_0', Values: [120, 180] },
          { Id: 'throttles_0', Values: [0, 2] },
          { Id: 'invocations_0', Values: [3000, 4000] },
          { Id: 'errors_0', Values: [5] },
        ],
        NextToken: 'page-2',
      },
      {
        MetricDataResults: [
          { Id: 'concurrency_0', Values: [150] },
          { Id: 'concurrency_1', Values: [10] },
          { Id: 'invocations_1', Values: [50] },
        ],
      },
    ];
    const client = {
      send: async (command: GetMetricDataCommand) => {
        inputs.push(command.input);
        return pages[inputs.length - 1];
      },
    } as unknown as CloudWatchClient;
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const reading = await readLaneUtilization(client, lanes, { now });
    expect(reading).toEqual({
      at: now,
      lanes: [
        { route: 'send', concurrency: 180, reserved: 200, throttles: 2, invocations: 7000, errors: 5 },
        { route: 'connect', concurrency: 10, reserved: 100, throttles: 0, invocations: 50, errors: 0 },
      ],
    });
    expect(inputs.map((i) => i.NextToken)).toEqual([undefined, 'page-2']);
    expect(inputs[0].StartTime).toEqual(new Date(now - 3 * 60_000));
    expect(inputs[0].EndTime).toEqual(new Date(now));
    const queries = inputs[0].MetricDataQueries ?? [];
    expect(queries).toHaveLength(8);
    expect(queries[0]).toEqual({
      Id: 'concurrency_0',
      ReturnData: true,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/Lambda',
          MetricName: 'ConcurrentExecutions',
          Dimensions: [{ Name: 'FunctionName', Value: 'chat-seoul-send' }],
        },
        Period: 60,
        Stat: 'Maximum',
      },
    });
    expect(queries.map((q) => [q.MetricStat?.Metric?.MetricName, q.MetricStat?.Stat])).toEqual([
      ['ConcurrentExecutions', 'Maximum'],
      ['Throttles', 'Sum'],
      ['Invocations', 'Sum'],
      ['Errors', 'Sum'],
      ['ConcurrentExecutions', 'Maximum'],
      ['Throttles', 'Sum'],
      ['Invocations', 'Sum'],
      ['Errors', 'Sum'],
    ]);
  });

  it('triggerOf: names the alarm of an SNS alarm message, else the schedule', () => {
    const sns = {
      Records: [
        {
          Sns: {
            Message: JSON.stringify({ AlarmName: 'chat-seoul-lane-send-throttles', NewStateValue: 'ALARM' }),
          },
        },
      ],
    };
    expect(triggerOf(sns as never)).toBe('alarm chat-seoul-lane-send-throttles -> ALARM');
    expect(triggerOf({ source: 'aws.events' } as never)).toBe('the schedule');
    expect(triggerOf({ Records: [{ Sns: { Message: 'not json' } }] } as never)).toBe('an SNS message');
  });

  it('surgeConfigFromEnv: reads the lanes the stack sets and names a malformed one', () => {
    const env = {
      [RUNTIME_ENV.tableName]: 'chat-chat',
      [RUNTIME_ENV.regionKey]: 'seoul',
      AWS_REGION: 'ap-northeast-2',
      [RUNTIME_ENV.surgeLanes]: JSON.stringify(lanes),
      [RUNTIME_ENV.metricsNamespace]: 'chatctl/chat',
    };
    expect(surgeConfigFromEnv(env)).toEqual({
      tableName: 'chat-chat',
      regionKey: 'seoul',
      awsRegion: 'ap-northeast-2',
      lanes,
      namespace: 'chatctl/chat',
      replicationSources: [],
    });
    const relayTargets = {
      tokyo: { awsRegion: 'ap-northeast-1', functionName: 'chat-tokyo-relay' },
      na: { awsRegion: 'us-west-2', functionName: 'chat-na-relay' },
    };
    expect(
      surgeConfigFromEnv({ ...env, [RUNTIME_ENV.relayTargets]: JSON.stringify(relayTargets) })
        .replicationSources,
    ).toEqual(['ap-northeast-1', 'us-west-2']);
    expect(() => surgeConfigFromEnv({ ...env, [RUNTIME_ENV.surgeLanes]: '{"send":{"reserved":0}}' })).toThrow(
      /lane "send" needs/,
    );
    expect(() => surgeConfigFromEnv({ ...env, [RUNTIME_ENV.surgeLanes]: '' })).toThrow(/is not set/);
  });
});

describe('surge controller: the replication lag from CloudWatch (the sandbox)', { timeout: 90_000 }, () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox({ surge: false });
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  it("readInboundReplicationLag: the newest minute's maximum ReplicationLatency into the region, asked of every other region's CloudWatch; a source that fails is left out, all failing is unknown", async () => {
    const awsRegion = (key: string) => sandbox.regions.get(key)!.awsRegion;
    const cloudwatch = (key: string, endpoint = sandbox.edge) =>
      new CloudWatchClient({ ...clientConfig(sandbox, awsRegion(key)), endpoint });
    const sources = ['seoul', 'na'].map((key) => ({
      awsRegion: awsRegion(key),
      cloudwatch: cloudwatch(key),
    }));
    // Nothing listens on port 9 of loopback: a region whose CloudWatch cannot be reached.
    const broken = { awsRegion: 'eu-west-1', cloudwatch: cloudwatch('na', 'http://127.0.0.1:9') };
    const dynamodb = new DynamoDBClient(clientConfig(sandbox, awsRegion('seoul')));
    const read = (from: typeof sources, onError?: (region: string) => void) =>
      readInboundReplicationLag(from, sandbox.tableName, awsRegion('tokyo'), { now: Date.now(), onError });
    try {
      sandbox.replication.pause('tokyo');
      await dynamodb.send(
        new PutItemCommand({ TableName: sandbox.tableName, Item: { pk: { S: 'LAGTEST' }, sk: { S: 'a' } } }),
      );
      await eventually(() => sandbox.replication.pairs().some((p) => p.to === 'tokyo' && p.oldestMs >= 1500));
      sandbox.replication.resume('tokyo');
      let lag: number | undefined;
      await eventually(
        async () => {
          lag = await read(sources);
          return lag !== undefined && lag >= 1500;
        },
        20_000,
        250,
      );
      const failed: string[] = [];
      expect(await read([...sources, broken], (region) => failed.push(region))).toBeGreaterThanOrEqual(1500);
      expect(failed).toEqual(['eu-west-1']);
      expect(await read([broken])).toBeUndefined();
    } finally {
      sandbox.replication.resume('tokyo');
      dynamodb.destroy();
      for (const s of [...sources, broken]) s.cloudwatch.destroy();
    }
  });
});
