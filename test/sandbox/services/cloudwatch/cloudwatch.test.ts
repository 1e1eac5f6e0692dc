/**
 * CloudWatch on the sandbox's edge, through unmodified clients: the AWS SDK v3 client (JSON 1.0, awsQueryCompatible),
 * the AWS CLI (botocore, which prefers JSON 1.0 of the protocols CloudWatch lists), and hand-signed requests in
 * the other two protocols: query (form-encoded, XML answers) and Smithy RPC v2 CBOR. The
 * service runs behind the real edge with no sandbox around it (its figures come from the test).
 */
import { execFile } from 'node:child_process';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { promisify } from 'node:util';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { cbor, dateToTag } from '@smithy/core/cbor';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { names } from '../../../../core/names.js';
import { MATH_ALARMS, metricsNamespace, singleMetricAlarmSpecs } from '../../../../core/observability.js';
import { ROUTES } from '../../../../core/protocol.js';
import { defaultTopology } from '../../../../core/topology.js';
import { type Edge, startEdge } from '../../../../sandbox/edge.js';
import { CloudWatchService } from '../../../../sandbox/services/cloudwatch/index.js';
import type { MetricSample, ServiceContext } from '../../../../sandbox/services/service.js';
import { signaturePolicy } from '../../../../sandbox/wire/sigv4.js';
import { TEST_CREDENTIALS } from '../support.js';

const run = promisify(execFile);

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** The hash SignatureV4 takes, from node:crypto (HMAC when given a secret). */
class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret ? createHmac('sha256', bytes(secret)) : createHash('sha256');
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}
const REGION = 'ap-northeast-2';

let edge: Edge;
let service: CloudWatchService;
let client: CloudWatchClient;
let pending: MetricSample[] = [];

beforeAll(async () => {
  const topology = defaultTopology();
  const context: ServiceContext = {
    topology: () => topology,
    account: '000000000000',
    regions: () => [],
    log: () => {},
    onError: (error: Error) => {
      throw error;
    },
  };
  const figures = {
    sample: () => {
      const out = pending;
      pending = [];
      return out;
    },
  };
  service = new CloudWatchService(context, figures, { metricsIntervalMs: 60_000 });
  edge = await startEdge({
    port: 0,
    service: (name) => (name === 'monitoring' ? service : undefined),
    control: async () => ({ status: 404, body: {} }),
    // The sandbox's default (signatures read, not verified). Under --verify-signatures the SDK's and the
    // hand-signed requests pass, but the AWS CLI's CloudWatch requests are refused (InvalidSignatureException):
    // not yet understood, see the closing note.
    access: () => ({ allowedOrigins: [], controlSecret: 'unused', signatures: signaturePolicy(false) }),
  });
  client = new CloudWatchClient({ region: REGION, endpoint: edge.url, credentials: TEST_CREDENTIALS });
});

afterAll(async () => {
  client?.destroy();
  await service?.stop();
  await edge?.stop();
});

describe('CloudWatch through the AWS SDK v3 (JSON 1.0)', () => {
  it('cloudwatch: PutMetricData then GetMetricStatistics, GetMetricData and ListMetrics answer from the stored datapoints', async () => {
    const now = Date.now();
    const at = new Date(Math.floor(now / 60_000) * 60_000 - 60_000);
    await client.send(
      new PutMetricDataCommand({
        Namespace: 'test/sdk',
        MetricData: [
          {
            MetricName: 'Latency',
            Dimensions: [{ Name: 'Region', Value: 'seoul' }],
            Timestamp: at,
            Values: [10, 20, 30, 40],
            Counts: [1, 1, 1, 1],
            Unit: 'Milliseconds',
          },
          {
            MetricName: 'Latency',
            Dimensions: [{ Name: 'Region', Value: 'seoul' }],
            Timestamp: new Date(at.getTime() + 1000),
            Value: 100,
            Unit: 'Milliseconds',
          },
        ],
      }),
    );
    const stats = await client.send(
      new GetMetricStatisticsCommand({
        Namespace: 'test/sdk',
        MetricName: 'Latency',
        Dimensions: [{ Name: 'Region', Value: 'seoul' }],
        StartTime: new Date(at.getTime() - 60_000),
        EndTime: new Date(now + 60_000),
        Period: 60,
        Statistics: ['Sum', 'Maximum', 'SampleCount', 'Average'],
        ExtendedStatistics: ['p50'],
      }),
    );
    expect(stats.Datapoints).toHaveLength(1);
    const point = stats.Datapoints?.[0];
    expect(point).toMatchObject({
      Sum: 200,
      Maximum: 100,
      SampleCount: 5,
      Average: 40,
      Unit: 'Milliseconds',
    });
    expect(point?.ExtendedStatistics?.p50).toBe(30);
    expect(point?.Timestamp?.getTime()).toBe(at.getTime());

    const data = await client.send(
      new GetMetricDataCommand({
        StartTime: new Date(at.getTime() - 60_000),
        EndTime: new Date(now + 60_000),
        MetricDataQueries: [
          {
            Id: 'p99',
            MetricStat: {
              Metric: {
                Namespace: 'test/sdk',
                MetricName: 'Latency',
                Dimensions: [{ Name: 'Region', Value: 'seoul' }],
              },
              Period: 60,
              Stat: 'p99',
            },
          },
        ],
      }),
    );
    expect(data.MetricDataResults?.[0]).toMatchObject({ Id: 'p99', Values: [100], StatusCode: 'Complete' });
    expect(data.MetricDataResults?.[0].Timestamps?.[0]?.getTime()).toBe(at.getTime());

    const listed = await client.send(new ListMetricsCommand({ Namespace: 'test/sdk' }));
    expect(listed.Metrics).toEqual([
      { Namespace: 'test/sdk', MetricName: 'Latency', Dimensions: [{ Name: 'Region', Value: 'seoul' }] },
    ]);
  });

  it('cloudwatch: an alarm is evaluated over its periods, goes to ALARM on breaching data, and SetAlarmState holds a period', async () => {
    await client.send(
      new PutMetricAlarmCommand({
        AlarmName: 'sdk-errors',
        Namespace: 'test/alarm',
        MetricName: 'Errors',
        Statistic: 'Sum',
        Period: 10,
        EvaluationPeriods: 1,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      }),
    );
    const state = async () =>
      (await client.send(new DescribeAlarmsCommand({ AlarmNames: ['sdk-errors'] }))).MetricAlarms?.[0];
    expect(await state()).toMatchObject({ StateValue: 'INSUFFICIENT_DATA', Period: 10, Threshold: 5 });
    // A new alarm is first evaluated one period after its creation.
    const later = Date.now() + 10_500;
    service.tick(later);
    expect((await state())?.StateValue).toBe('OK');
    service.state.metrics.put(
      REGION,
      { namespace: 'test/alarm', name: 'Errors', dimensions: [] },
      { at: later - 100, values: [3, 4] },
    );
    service.tick(later);
    const alarm = await state();
    expect(alarm?.StateValue).toBe('ALARM');
    expect(alarm?.StateReason).toMatch(/Threshold Crossed: 1 out of the last 1 datapoints \[7\.0\]/);

    await client.send(
      new SetAlarmStateCommand({ AlarmName: 'sdk-errors', StateValue: 'OK', StateReason: 'testing' }),
    );
    service.tick(Date.now() + 5000);
    expect((await state())?.StateValue).toBe('OK');
    expect((await client.send(new DescribeAlarmsCommand({ StateValue: 'ALARM' }))).MetricAlarms).toEqual([]);
  });

  it('cloudwatch: errors come back as the SDK names them', async () => {
    await expect(
      client.send(new SetAlarmStateCommand({ AlarmName: 'nope', StateValue: 'OK', StateReason: 'x' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFound', $metadata: { httpStatusCode: 404 } });
    await expect(
      client.send(
        new PutMetricDataCommand({ Namespace: 'AWS/Lambda', MetricData: [{ MetricName: 'x', Value: 1 }] }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: expect.stringMatching(/AWS\/Lambda/),
    });
  });
});

describe('Metric math through the AWS SDK v3', () => {
  const fn = [{ Name: 'FunctionName', Value: 'chat-seoul-send' }];
  const lambda = (name: string, n: number): MetricSample => ({
    awsRegion: REGION,
    namespace: 'AWS/Lambda',
    name,
    dimensions: fn,
    values: [n],
    unit: 'Count',
  });
  const stat = (name: string, period = 60) => ({
    Metric: { Namespace: 'AWS/Lambda', MetricName: name, Dimensions: fn },
    Period: period,
    Stat: 'Sum',
  });

  it('cloudwatch: GetMetricData evaluates an error rate over the counters the ticks stored', async () => {
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 3 * 60_000;
    // Minute 1: 2 errors of 8 invocations; minute 2: none of 4; minute 3: invocations only, no Errors sample.
    for (const [offset, samples] of [
      [1_000, [lambda('Invocations', 5), lambda('Errors', 2)]],
      [2_000, [lambda('Invocations', 3), lambda('Errors', 0)]],
      [61_000, [lambda('Invocations', 4), lambda('Errors', 0)]],
      [121_000, [lambda('Invocations', 6)]],
    ] as const) {
      pending = [...samples];
      service.tick(minute + offset);
    }
    const data = await client.send(
      new GetMetricDataCommand({
        StartTime: new Date(minute),
        EndTime: new Date(minute + 3 * 60_000),
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [
          { Id: 'e', MetricStat: stat('Errors'), ReturnData: false },
          { Id: 'i', MetricStat: stat('Invocations'), ReturnData: false },
          { Id: 'rate', Expression: 'IF(i > 0, 100 * e / i, 0)', Label: 'error rate %' },
          { Id: 'filled', Expression: 'FILL(e, 0) / i * 100' },
        ],
      }),
    );
    const results = data.MetricDataResults ?? [];
    expect(results.map((r) => r.Id)).toEqual(['rate', 'filled']);
    const [rate, filled] = results;
    expect(rate).toMatchObject({ Label: 'error rate %', Values: [25, 0], StatusCode: 'Complete' });
    expect(rate.Timestamps?.map((t) => t.getTime())).toEqual([minute, minute + 60_000]);
    // FILL gives the third minute its 0 errors; without it that minute has no point.
    expect(filled).toMatchObject({ Label: 'filled', Values: [25, 0, 0] });
  });

  it('cloudwatch: a metric math alarm goes to ALARM and back, and DescribeAlarms returns its Metrics', async () => {
    await client.send(
      new PutMetricAlarmCommand({
        AlarmName: 'math-error-rate',
        Metrics: [
          { Id: 'e', MetricStat: stat('Errors', 10), ReturnData: false },
          { Id: 'i', MetricStat: stat('Invocations', 10), ReturnData: false },
          { Id: 'rate', Expression: 'IF(i > 0, 100 * e / i, 0)', Label: 'error rate', ReturnData: true },
        ],
        EvaluationPeriods: 1,
        Threshold: 10,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      }),
    );
    const alarm = async () =>
      (await client.send(new DescribeAlarmsCommand({ AlarmNames: ['math-error-rate'] }))).MetricAlarms?.[0];
    const described = await alarm();
    expect(described?.Period).toBeUndefined();
    expect(described?.Metrics?.map((m) => m.Id)).toEqual(['e', 'i', 'rate']);
    expect(described?.Metrics?.[2]).toMatchObject({
      Expression: 'IF(i > 0, 100 * e / i, 0)',
      ReturnData: true,
    });
    expect(described?.Metrics?.[0].MetricStat).toMatchObject({ Period: 10, Stat: 'Sum' });

    const t = Date.now() + 20_000;
    // A tick stores its figures at its own time; the next tick's window holds them.
    pending = [lambda('Invocations', 10), lambda('Errors', 3)];
    service.tick(t);
    service.tick(t + 1_000);
    expect((await alarm())?.StateValue).toBe('ALARM');
    expect((await alarm())?.StateReason).toMatch(/\[30\.0\]/);
    pending = [lambda('Invocations', 10), lambda('Errors', 0)];
    service.tick(t + 11_000);
    service.tick(t + 12_000);
    expect((await alarm())?.StateValue).toBe('OK');
  });

  it('cloudwatch: an unsupported function and a math alarm without one returned value are refused', async () => {
    await expect(
      client.send(
        new GetMetricDataCommand({
          StartTime: new Date(Date.now() - 60_000),
          EndTime: new Date(),
          MetricDataQueries: [
            { Id: 'e', MetricStat: stat('Errors') },
            { Id: 'band', Expression: 'ANOMALY_DETECTION_BAND(e, 2)' },
          ],
        }),
      ),
    ).rejects.toMatchObject({
      // CloudWatch's ValidationException shape, whose query code is ValidationError.
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
      message: expect.stringMatching(/ANOMALY_DETECTION_BAND is not supported/),
    });
    await expect(
      client.send(
        new PutMetricAlarmCommand({
          AlarmName: 'two-returned',
          Metrics: [
            { Id: 'e', MetricStat: stat('Errors', 60) },
            { Id: 'x', Expression: 'e * 2' },
          ],
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanThreshold',
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/Exactly one element/),
    });
  });

  const seedRegion = () => {
    const topology = defaultTopology();
    const spec = topology.regions[0];
    service.addRegion({
      key: spec.key,
      awsRegion: spec.awsRegion,
      websocketUrl: 'ws://127.0.0.1:1/prod',
      healthUrl: 'http://127.0.0.1:1/health',
      gatewayPort: 1,
      apiId: 'abc123',
    });
    const regional = new CloudWatchClient({
      region: spec.awsRegion,
      endpoint: edge.url,
      credentials: TEST_CREDENTIALS,
    });
    const prefix = names.alarmPrefix(topology, spec.key);
    const states = async () =>
      Object.fromEntries(
        (
          (await regional.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix }))).MetricAlarms ?? []
        ).map((a) => [a.AlarmName?.slice(prefix.length), a.StateValue]),
      );
    const done = () => {
      regional.destroy();
      service.removeRegion(spec.key);
    };
    return { topology, spec, regional, prefix, states, done };
  };

  it("cloudwatch: each region added is seeded with the stacks' metric math alarms", async () => {
    const { spec, regional, prefix, states, done } = seedRegion();
    try {
      const alarms =
        (await regional.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix }))).MetricAlarms ?? [];
      const slugs = alarms.map((a) => a.AlarmName?.slice(prefix.length));
      for (const math of Object.values(MATH_ALARMS)) expect(slugs).toContain(math.slug);
      const throttles = alarms.find((a) => a.AlarmName === `${prefix}table-throttles`);
      expect(throttles?.Metrics?.find((m) => m.ReturnData)?.Expression).toBe('FILL(r, 0) + FILL(w, 0)');
      const clientErrors = alarms.find((a) => a.AlarmName === `${prefix}ws-client-error-rate`);
      expect(clientErrors?.Metrics?.[0].MetricStat?.Metric?.Dimensions).toContainEqual({
        Name: 'ApiId',
        Value: 'abc123',
      });
      // A connect surge (ConnectCount Sum over the 10 s period, divided by 10) beyond 80% of 500/s pages.
      service.tick(Date.now() + 11_000);
      const connects: MetricSample = {
        awsRegion: spec.awsRegion,
        namespace: 'AWS/ApiGateway',
        name: 'ConnectCount',
        dimensions: [
          { Name: 'ApiId', Value: 'abc123' },
          { Name: 'Stage', Value: 'prod' },
        ],
        values: [4_500],
      };
      pending = [connects];
      service.tick(Date.now() + 12_000);
      service.tick(Date.now() + 13_000);
      expect(await states()).toMatchObject({
        'ws-client-error-rate': 'OK',
        'ws-connect-rate': 'ALARM',
        'table-throttles': 'OK',
      });
    } finally {
      done();
    }
  });

  it("cloudwatch: each region added is seeded with the stacks' single-metric alarms, on the sandbox's dimensions and period", async () => {
    const { topology, spec, regional, prefix, states, done } = seedRegion();
    try {
      const alarms =
        (await regional.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix }))).MetricAlarms ?? [];
      const routes = ROUTES.filter((r) => r !== 'stream');
      const expected = singleMetricAlarmSpecs(topology, spec.key, routes);
      const bySlug = new Map(alarms.map((a) => [a.AlarmName?.slice(prefix.length), a]));
      expect(alarms).toHaveLength(expected.length + Object.keys(MATH_ALARMS).length);
      for (const e of expected) {
        expect(bySlug.get(e.slug), e.slug).toMatchObject({
          MetricName: e.metricName,
          Period: 10,
          EvaluationPeriods: e.evaluationPeriods,
          Threshold: e.threshold,
          AlarmDescription: e.description,
        });
      }
      const sendFn = names.function(topology, spec.key, 'send');
      expect(bySlug.get('lane-send-duration-p99')).toMatchObject({
        Namespace: 'AWS/Lambda',
        ExtendedStatistic: 'p99',
        Dimensions: [{ Name: 'FunctionName', Value: sendFn }],
      });
      expect(bySlug.get('lane-send-concurrency')?.Threshold).toBe(
        Math.max(1, Math.floor((topology.lanes.send as number) * 0.8)),
      );
      const other = topology.regions[1];
      expect(bySlug.get(`replication-to-${other.key}`)).toMatchObject({
        Namespace: 'AWS/DynamoDB',
        Statistic: 'Average',
        Dimensions: [
          { Name: 'TableName', Value: names.table(topology) },
          { Name: 'ReceivingRegion', Value: other.awsRegion },
        ],
      });
      expect(bySlug.get('relay-errors')).toMatchObject({
        Namespace: metricsNamespace(topology.app),
        Dimensions: [{ Name: 'Region', Value: spec.key }],
      });
      expect(bySlug.get('relay-failed-events')).toMatchObject({
        Namespace: 'AWS/SQS',
        Statistic: 'Maximum',
        Dimensions: [{ Name: 'QueueName', Value: names.relayFailureQueue(topology, spec.key) }],
      });
      // send's lane throttles two periods running: its alarm (2 of 2 periods) goes to ALARM, then back.
      const throttles = (values: number[]): MetricSample => ({
        awsRegion: spec.awsRegion,
        namespace: 'AWS/Lambda',
        name: 'Throttles',
        dimensions: [{ Name: 'FunctionName', Value: sendFn }],
        values,
      });
      // A tick stores its figures at its own time; the windows that end after it hold them.
      const t = Date.now() + 11_000;
      service.tick(t);
      pending = [throttles([3])];
      service.tick(t + 1_000);
      service.tick(t + 2_000);
      expect((await states())['lane-send-throttles']).toBe('OK');
      pending = [throttles([2])];
      service.tick(t + 10_500);
      service.tick(t + 12_000);
      expect(await states()).toMatchObject({
        'lane-send-throttles': 'ALARM',
        'lane-connect-throttles': 'OK',
      });
      service.tick(t + 25_000);
      expect((await states())['lane-send-throttles']).toBe('OK');
    } finally {
      done();
    }
  });
});

describe('CloudWatch through independent clients', () => {
  const awsEnv = () => ({
    ...process.env,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_DEFAULT_REGION: REGION,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  });
  const aws = async (...args: string[]) => {
    const { stdout } = await run(
      'aws',
      ['--endpoint-url', edge.url, '--output', 'json', 'cloudwatch', ...args],
      {
        env: awsEnv(),
        timeout: 60_000,
      },
    );
    return stdout ? JSON.parse(stdout) : undefined;
  };

  it('cloudwatch: the AWS CLI (botocore, which picks JSON 1.0 over CBOR) puts, reads and alarms', async () => {
    const now = new Date();
    await aws(
      'put-metric-data',
      '--namespace',
      'test/cli',
      '--metric-name',
      'Hits',
      '--value',
      '7',
      '--timestamp',
      now.toISOString(),
    );
    const stats = await aws(
      'get-metric-statistics',
      '--namespace',
      'test/cli',
      '--metric-name',
      'Hits',
      '--start-time',
      new Date(now.getTime() - 120_000).toISOString(),
      '--end-time',
      new Date(now.getTime() + 60_000).toISOString(),
      '--period',
      '60',
      '--statistics',
      'Sum',
    );
    expect(stats.Datapoints).toHaveLength(1);
    expect(stats.Datapoints[0].Sum).toBe(7);
    await aws(
      'put-metric-alarm',
      '--alarm-name',
      'cli-hits',
      '--namespace',
      'test/cli',
      '--metric-name',
      'Hits',
      '--statistic',
      'Sum',
      '--period',
      '60',
      '--evaluation-periods',
      '1',
      '--threshold',
      '1',
      '--comparison-operator',
      'GreaterThanOrEqualToThreshold',
    );
    await aws(
      'set-alarm-state',
      '--alarm-name',
      'cli-hits',
      '--state-value',
      'ALARM',
      '--state-reason',
      'cli test',
    );
    const described = await aws('describe-alarms', '--alarm-names', 'cli-hits');
    expect(described.MetricAlarms[0]).toMatchObject({
      AlarmName: 'cli-hits',
      StateValue: 'ALARM',
      StateReason: 'cli test',
    });
    await expect(
      aws('set-alarm-state', '--alarm-name', 'missing', '--state-value', 'OK', '--state-reason', 'x'),
    ).rejects.toThrow(/ResourceNotFound/);
  }, 90_000);

  const signed = async (path: string, headers: Record<string, string>, body: string | Uint8Array) => {
    const signer = new SignatureV4({
      credentials: TEST_CREDENTIALS,
      region: REGION,
      service: 'monitoring',
      sha256: Sha256,
    });
    const url = new URL(edge.url);
    const request = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path,
      headers: { host: url.host, ...headers },
      body,
    });
    return fetch(`${edge.url}${path}`, {
      method: 'POST',
      headers: request.headers as Record<string, string>,
      body,
    });
  };

  it('cloudwatch: a signed query-protocol request gets the XML answer with member lists', async () => {
    const body = new URLSearchParams({
      Action: 'ListMetrics',
      Version: '2010-08-01',
      Namespace: 'test/sdk',
    }).toString();
    const response = await signed(
      '/',
      { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    );
    const xml = await response.text();
    expect(response.status).toBe(200);
    expect(xml).toContain('<ListMetricsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">');
    expect(xml).toMatch(
      /<Metrics><member><Namespace>test\/sdk<\/Namespace><MetricName>Latency<\/MetricName><Dimensions><member><Name>Region<\/Name><Value>seoul<\/Value><\/member><\/Dimensions><\/member><\/Metrics>/,
    );
  });

  it('cloudwatch: a Smithy RPC v2 CBOR request gets a CBOR answer, timestamps as tag 1', async () => {
    const at = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    const put = await signed(
      '/service/GraniteServiceVersion20100801/operation/PutMetricData',
      { 'content-type': 'application/cbor', 'smithy-protocol': 'rpc-v2-cbor', accept: 'application/cbor' },
      cbor.serialize({
        Namespace: 'test/cbor',
        MetricData: [{ MetricName: 'Depth', Value: 4, Timestamp: dateToTag(at) }],
      }),
    );
    expect(put.status).toBe(200);
    const get = await signed(
      '/service/GraniteServiceVersion20100801/operation/GetMetricStatistics',
      { 'content-type': 'application/cbor', 'smithy-protocol': 'rpc-v2-cbor', accept: 'application/cbor' },
      cbor.serialize({
        Namespace: 'test/cbor',
        MetricName: 'Depth',
        StartTime: dateToTag(new Date(at.getTime() - 60_000)),
        EndTime: dateToTag(new Date(at.getTime() + 60_000)),
        Period: 60,
        Statistics: ['Maximum'],
      }),
    );
    expect(get.headers.get('smithy-protocol')).toBe('rpc-v2-cbor');
    const answer = cbor.deserialize(new Uint8Array(await get.arrayBuffer())) as {
      Datapoints: { Maximum: number; Timestamp: { tag: number; value: number } }[];
    };
    expect(answer.Datapoints).toHaveLength(1);
    expect(answer.Datapoints[0].Maximum).toBe(4);
    expect(answer.Datapoints[0].Timestamp).toMatchObject({ tag: 1, value: at.getTime() / 1000 });
  });
});
