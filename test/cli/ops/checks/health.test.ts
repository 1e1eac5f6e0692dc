import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetHealthCheckStatusCommand,
  ListHealthChecksCommand,
  Route53Client,
  UpdateHealthCheckCommand,
} from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { runHealth } from '../../../../cli/ops/checks/health.js';
import { REGION_CHECKS } from '../../../../cli/ops/checks/verdict.js';
import { moveChinaOrigin } from '../../../../cli/ops/routing/china-origin.js';
import { sandboxTarget, type Target } from '../../../../cli/ops/target.js';
import { names } from '../../../../core/names.js';
import { CHINA_ORIGIN_GLOBAL, defaultTopology, type Topology } from '../../../../core/topology.js';
import { setLoadLevel } from '../../../../runtime/store/load-level.js';
import { type Sandbox, start } from '../../../../sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../../../../sandbox/state.js';
import { eventually } from '../../../support/eventually.js';

// The JSON contract of `chatctl health --json` (issue: typed result), checked on real results.
const check = z.strictObject({
  name: z.string(),
  status: z.enum(['ok', 'warn', 'fail', 'skip']),
  latencyMs: z.number().nonnegative().optional(),
  detail: z.string(),
  action: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
const healthSchema = z.strictObject({
  target: z.enum(['sandbox', 'aws']),
  verdict: z.enum(['healthy', 'degraded', 'critical']),
  elapsedMs: z.number().nonnegative(),
  startupMs: z.number().nonnegative(),
  checksMs: z.number().nonnegative(),
  timeoutMs: z.number().positive(),
  regions: z.array(
    z.strictObject({
      key: z.string(),
      awsRegion: z.string(),
      status: z.enum(['ok', 'degraded', 'down']),
      checks: z.array(check.extend({ name: z.enum(REGION_CHECKS) })),
    }),
  ),
  china: z.strictObject({
    enabled: z.boolean(),
    status: z.enum(['ok', 'degraded', 'down', 'skip']),
    origin: z.string().optional(),
    followsDns: z.boolean().optional(),
    distributionId: z.string().optional(),
    domain: z.string().optional(),
    checks: z.array(check.extend({ name: z.enum(['distribution', 'proxy']) })),
  }),
  // The sandbox's DynamoDB Local (absent on AWS).
  engine: check.extend({ name: z.literal('engine') }).optional(),
  problems: z.array(
    z.strictObject({
      scope: z.string(),
      check: z.string(),
      status: z.enum(['warn', 'fail']),
      message: z.string(),
      action: z.string().min(1),
    }),
  ),
});

// A high lag threshold and failure threshold: this machine is shared, and a slow moment must not read as a fault.
const topology: Topology = { ...defaultTopology(), replication: { lagThresholdMs: 60_000 } };
const TIMEOUT = 8000;
let sandbox: Sandbox;
let target: Target;

type Result = Awaited<ReturnType<typeof runHealth>>;
const regionOf = (result: Result, key: string) => result.regions.find((r) => r.key === key)!;
const checkOf = (result: Result, key: string, name: string) =>
  regionOf(result, key).checks.find((c) => c.name === name)!;

beforeAll(async () => {
  sandbox = await start(topology, {
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    instanceId: `health${randomBytes(5).toString('hex')}`,
    lag: 20,
    healthCheckIntervalMs: 500,
    failureThreshold: 10,
  });
  target = sandboxTarget(topology, sandbox.state);
  // The Route 53 checkers probe at start; wait until each has reported once (a new check has no status yet).
  const route53 = new Route53Client({
    region: 'us-east-1',
    endpoint: sandbox.edge,
    credentials: { ...SANDBOX_CREDENTIALS },
  });
  const list = await route53.send(new ListHealthChecksCommand({}));
  for (const hc of list.HealthChecks ?? []) {
    for (let i = 0; i < 100; i++) {
      const status = await route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: hc.Id! }));
      if ((status.HealthCheckObservations ?? []).length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  route53.destroy();
});

afterAll(async () => {
  await sandbox?.stop();
});

describe('health against the sandbox', () => {
  it('health: a healthy sandbox has every check ok in every region, verdict healthy, valid JSON', async () => {
    const result = await runHealth(target, { timeoutMs: TIMEOUT });
    healthSchema.parse(JSON.parse(JSON.stringify(result)));
    // This sandbox runs no canary (test/sandbox/observability.test.ts checks health with one).
    const notOk = result.regions.flatMap((r) =>
      r.checks
        .filter((c) => c.status !== 'ok' && !(c.name === 'canary' && c.status === 'skip'))
        .map((c) => `${r.key}.${c.name}: ${c.detail}`),
    );
    expect(notOk).toEqual([]);
    expect(checkOf(result, 'seoul', 'canary')).toMatchObject({
      status: 'skip',
      detail: expect.stringMatching(/runs no canary/),
    });
    expect(checkOf(result, 'seoul', 'alarms')).toMatchObject({ status: 'ok', detail: 'no alarm in ALARM' });
    expect(result.regions.map((r) => r.key)).toEqual(['seoul', 'tokyo', 'na']);
    expect(result.china.status).toBe('ok');
    // The origin is chat.<domain>: from CloudFront's edge next to China, DNS answers seoul.
    expect(result.china).toMatchObject({ followsDns: true, origin: undefined });
    expect(result.china.checks.find((c) => c.name === 'proxy')?.detail).toMatch(/^pong from seoul/);
    expect(result.verdict).toBe('healthy');
    expect(result.problems).toEqual([]);
  });

  it('health: gateway-down makes that region down and the verdict critical, within the timeout', async () => {
    sandbox.faults.inject('tokyo', 'gateway-down');
    try {
      const timeoutMs = 3000;
      const started = performance.now();
      const result = await runHealth(target, { timeoutMs, replication: false });
      const elapsed = performance.now() - started;
      healthSchema.parse(JSON.parse(JSON.stringify(result)));
      expect(regionOf(result, 'tokyo')).toMatchObject({ status: 'down' });
      expect(checkOf(result, 'tokyo', 'websocket')).toMatchObject({ status: 'fail' });
      expect(checkOf(result, 'tokyo', 'health')).toMatchObject({ status: 'fail' });
      expect(checkOf(result, 'seoul', 'websocket')).toMatchObject({ status: 'ok' });
      expect(checkOf(result, 'na', 'websocket')).toMatchObject({ status: 'ok' });
      expect(result.verdict).toBe('critical');
      expect(result.problems.some((p) => p.scope === 'tokyo' && p.check === 'websocket')).toBe(true);
      // In the sandbox the action names the fault and its heal, not health function logs that do not exist here.
      const health = result.problems.find((p) => p.scope === 'tokyo' && p.check === 'health');
      expect(health?.action).toBe(
        'in this sandbox it is the fault gateway-down on tokyo: chatctl sandbox heal tokyo',
      );
      expect(result.problems.map((p) => p.action).join('\n')).not.toMatch(/health function logs/);
      // Safety bound, not a speed test: a dead region costs the timeout, never a hang.
      expect(elapsed).toBeLessThan(timeoutMs + 4000);
    } finally {
      sandbox.faults.heal('tokyo');
      // Route 53 and the alarms see the heal a few checks later; the next test needs tokyo serving.
      await eventually(
        async () => {
          const after = await runHealth(target, { timeoutMs: 3000, replication: false });
          return regionOf(after, 'tokyo').status === 'ok';
        },
        60_000,
        500,
      );
    }
  });

  it('health: with the pinned China origin down, the actions move the origin to a serving region and heal the fault', async () => {
    await moveChinaOrigin(target, 'seoul');
    sandbox.faults.inject('seoul', 'gateway-down');
    try {
      const result = await runHealth(target, { timeoutMs: 3000, replication: false });
      const actions = result.problems.map((p) => `${p.scope} ${p.check}: ${p.action}`).join('\n');
      expect(actions).not.toMatch(/china origin china/);
      expect(actions).toMatch(
        /seoul websocket: .*China proxy's origin, so move that first \(chatctl china origin tokyo\)/,
      );
      expect(actions).toMatch(/china proxy: .*chatctl sandbox heal seoul/);
    } finally {
      sandbox.faults.heal('seoul');
      await moveChinaOrigin(target, CHINA_ORIGIN_GLOBAL, { wait: false });
    }
  });

  it('health: a region that accepts connections but never answers costs the timeout, not a hang', async () => {
    // A black hole: TCP accepted, nothing ever written back (a wedged load balancer, a dead host behind NAT).
    const accepted = new Set<Socket>();
    const silent = createServer((socket) => accepted.add(socket));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const port = (silent.address() as AddressInfo).port;
    const state = structuredClone(sandbox.state) as typeof sandbox.state & {
      regions: Record<string, { websocketUrl: string; healthUrl: string }>;
    };
    state.regions.tokyo.websocketUrl = `ws://127.0.0.1:${port}/prod`;
    state.regions.tokyo.healthUrl = `http://127.0.0.1:${port}/health`;
    try {
      const timeoutMs = 1500;
      const started = performance.now();
      const result = await runHealth(sandboxTarget(topology, state), { timeoutMs, replication: false });
      const elapsed = performance.now() - started;
      expect(checkOf(result, 'tokyo', 'websocket')).toMatchObject({ status: 'fail' });
      expect(checkOf(result, 'tokyo', 'websocket').detail).toMatch(/within 1500 ms/);
      expect(checkOf(result, 'tokyo', 'health').detail).toMatch(/within 1500 ms/);
      expect(regionOf(result, 'tokyo').status).toBe('down');
      expect(result.verdict).toBe('critical');
      expect(elapsed).toBeLessThan(timeoutMs + 4000);
    } finally {
      for (const socket of accepted) socket.destroy();
      silent.close();
    }
  });

  it('health: relay-error fails the relay check of that region and the verdict is degraded', async () => {
    sandbox.faults.inject('na', 'relay-error');
    try {
      const result = await runHealth(target, { timeoutMs: TIMEOUT, replication: false });
      expect(checkOf(result, 'na', 'relay')).toMatchObject({ status: 'fail' });
      expect(regionOf(result, 'na')).toMatchObject({ status: 'degraded' });
      expect(checkOf(result, 'seoul', 'relay')).toMatchObject({ status: 'ok' });
      expect(result.verdict).toBe('degraded');
      const problem = result.problems.find((p) => p.scope === 'na' && p.check === 'relay');
      expect(problem?.action).toMatch(/relay/);
    } finally {
      sandbox.faults.heal('na');
    }
  });

  it('health: replication-pause flags the paused region, not the others, and the verdict is degraded', async () => {
    sandbox.faults.inject('seoul', 'replication-pause');
    try {
      const result = await runHealth(target, { timeoutMs: TIMEOUT });
      expect(checkOf(result, 'seoul', 'replication')).toMatchObject({ status: 'fail' });
      expect(checkOf(result, 'tokyo', 'replication')).toMatchObject({ status: 'ok' });
      expect(checkOf(result, 'na', 'replication')).toMatchObject({ status: 'ok' });
      expect(result.verdict).toBe('degraded');
      expect(result.problems.find((p) => p.scope === 'seoul')?.action).toMatch(/replication check/);
    } finally {
      sandbox.faults.heal('seoul');
      await sandbox.replication.settle(30_000);
    }
  });

  it('health: an inverted Route 53 health check shows the region as drained', async () => {
    const route53 = new Route53Client({
      region: 'us-east-1',
      endpoint: sandbox.edge,
      credentials: { ...SANDBOX_CREDENTIALS },
    });
    const list = await route53.send(new ListHealthChecksCommand({}));
    const hc = list.HealthChecks?.find(
      (h) => h.CallerReference === names.healthCheckReference(topology, 'na'),
    );
    expect(hc?.Id).toBeDefined();
    await route53.send(new UpdateHealthCheckCommand({ HealthCheckId: hc!.Id!, Inverted: true }));
    try {
      const result = await runHealth(target, { timeoutMs: TIMEOUT, region: 'na', replication: false });
      expect(result.regions.map((r) => r.key)).toEqual(['na']);
      const r53 = checkOf(result, 'na', 'route53');
      expect(r53).toMatchObject({ status: 'warn', data: { drained: true, inverted: true } });
      expect(r53.detail).toMatch(/drained/);
      expect(result.verdict).toBe('degraded');
    } finally {
      await route53.send(new UpdateHealthCheckCommand({ HealthCheckId: hc!.Id!, Inverted: false }));
      route53.destroy();
    }
  });

  it('health: a load level above 0 is flagged with the level', async () => {
    const dynamo = new DynamoDBClient({
      region: 'ap-northeast-1',
      endpoint: sandbox.edge,
      credentials: { ...SANDBOX_CREDENTIALS },
    });
    await setLoadLevel(dynamo, names.table(topology), 'tokyo', 2);
    try {
      const result = await runHealth(target, { timeoutMs: TIMEOUT, region: 'tokyo', replication: false });
      expect(checkOf(result, 'tokyo', 'load')).toMatchObject({
        status: 'warn',
        data: { level: 2, setBy: 'operator' },
        detail: expect.stringMatching(/^level 2: .*, set by operator/),
      });
      expect(result.problems.find((p) => p.check === 'load')?.action).toContain(
        'traffic level 0 --region tokyo',
      );
    } finally {
      await setLoadLevel(dynamo, names.table(topology), 'tokyo', 0);
      dynamo.destroy();
    }
  });

  it('health: a region at load level 3 (shedding new connections) is degraded, not down, and no advice says drain', async () => {
    const dynamo = new DynamoDBClient({
      region: 'ap-northeast-2',
      endpoint: sandbox.edge,
      credentials: { ...SANDBOX_CREDENTIALS },
    });
    const table = names.table(topology);
    await setLoadLevel(dynamo, table, 'seoul', 3);
    try {
      // The handlers trust a read level for a few seconds: wait until seoul refuses new connections.
      let result = await runHealth(target, { timeoutMs: TIMEOUT, replication: false });
      for (let i = 0; i < 40 && checkOf(result, 'seoul', 'websocket').status === 'ok'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        result = await runHealth(target, { timeoutMs: TIMEOUT, replication: false });
      }
      expect(checkOf(result, 'seoul', 'websocket')).toMatchObject({
        status: 'warn',
        data: { shedding: true },
      });
      expect(regionOf(result, 'seoul').status).toBe('degraded');
      expect(result.verdict).toBe('degraded');
      // DNS sends the China proxy's edge to seoul: the proxy is degraded too, not down.
      expect(result.china.status).toBe('degraded');
      const actions = result.problems.map((p) => p.action);
      expect(actions.some((a) => a.includes('traffic level 0 --region seoul'))).toBe(true);
      expect(actions.filter((a) => /chatctl drain/.test(a))).toEqual([]);
    } finally {
      await setLoadLevel(dynamo, table, 'seoul', 0);
      dynamo.destroy();
    }
  });

  it('health: every alarm of the region in ALARM is flagged with what to do about it', async () => {
    const cloudwatch = new CloudWatchClient({
      region: 'ap-northeast-1',
      endpoint: sandbox.edge,
      credentials: { ...SANDBOX_CREDENTIALS },
    });
    const name = `${names.alarmPrefix(topology, 'tokyo')}lane-send-throttles`;
    try {
      await cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: name,
          Namespace: 'AWS/Lambda',
          MetricName: 'Throttles',
          Dimensions: [{ Name: 'FunctionName', Value: names.function(topology, 'tokyo', 'send') }],
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 2,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        }),
      );
      await cloudwatch.send(
        new SetAlarmStateCommand({ AlarmName: name, StateValue: 'ALARM', StateReason: 'a test' }),
      );
      const result = await runHealth(target, { timeoutMs: TIMEOUT, region: 'tokyo', replication: false });
      expect(checkOf(result, 'tokyo', 'alarms')).toMatchObject({
        status: 'warn',
        detail: `1 in ALARM: ${name} (a test)`,
      });
      expect(result.problems.find((p) => p.check === 'alarms')?.action).toMatch(
        /lane is throttled in tokyo: chatctl traffic status/,
      );
    } finally {
      await cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [name] }));
      cloudwatch.destroy();
    }
  });
});
