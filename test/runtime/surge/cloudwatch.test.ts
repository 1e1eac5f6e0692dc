// The controller's AWS reading. CloudWatch is not in the sandbox yet, so the client below answers
// GetMetricData itself (a stand-in for a call the sandbox cannot serve): what is tested is the queries sent
// (documented metric names, FunctionName dimension, statistics) and how the answer becomes a reading.
import type { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { RUNTIME_ENV } from '../../../core/runtime-env.js';
import { readLaneUtilization } from '../../../runtime/surge/cloudwatch.js';
import { surgeConfigFromEnv, triggerOf } from '../../../runtime/surge/lambda.js';

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
    });
    expect(() => surgeConfigFromEnv({ ...env, [RUNTIME_ENV.surgeLanes]: '{"send":{"reserved":0}}' })).toThrow(
      /lane "send" needs/,
    );
    expect(() => surgeConfigFromEnv({ ...env, [RUNTIME_ENV.surgeLanes]: '' })).toThrow(/is not set/);
  });
});
