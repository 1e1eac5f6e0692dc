/**
 * One description of the deployed system: the stacks and the sandbox both build from core/deployment/, and this
 * test holds them together. It synthesizes the app for the default 3-region topology once, starts a sandbox of
 * the same topology with the canary (as `sandbox up` runs it), and compares every Route 53 health check and
 * record and every CloudWatch alarm of the templates with what the sandbox serves through the unmodified AWS
 * clients (ListHealthChecks, ListResourceRecordSets, DescribeAlarms). What the sandbox changes on purpose is
 * left out, and only that: an alarm's Period (the sandbox's 10 s; a period-dependent expression is compared
 * with its period named), a record's alias target and TTL (an A record at the region's loopback address), the
 * alarms' SNS actions (the sandbox has no SNS) and resource ids (the API id and the checks' ids are compared as
 * what they stand for).
 */
import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import {
  type HealthCheck,
  ListHealthChecksCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cdkJsonContext } from '../../cli/ops/deploy/assembly.js';
import { names } from '../../core/names.js';
import { defaultTopology, type Topology } from '../../core/topology.js';
import type { Sandbox } from '../../sandbox/index.js';
import { addChatStacks } from '../../stacks/app.js';
import { clientConfig, startTestSandbox } from '../sandbox/support.js';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Template = { Resources: Record<string, Resource> };

const topology: Topology = defaultTopology();
/** The region stacks' templates by region key. */
const templates = new Map<string, Template>();
let sandbox: Sandbox;
let r53: Route53Client;

beforeAll(async () => {
  const app = new App({ context: cdkJsonContext() });
  addChatStacks(app, topology, { code: { kind: 'placeholder' } });
  const assembly = app.synth();
  for (const region of topology.regions) {
    const stack = assembly.getStackByName(names.regionStack(topology, region.key));
    templates.set(region.key, stack.template as Template);
  }
  sandbox = await startTestSandbox({ globalServices: true, canary: true, surge: false }, topology);
  r53 = new Route53Client(clientConfig(sandbox, 'us-east-1'));
}, 300_000);

afterAll(async () => {
  r53?.destroy();
  await sandbox?.stop();
});

const resources = (t: Template, type: string) =>
  Object.entries(t.Resources).filter(([, r]) => r.Type === type) as [string, Resource][];

const nameTag = (r: Resource) =>
  (r.Properties.HealthCheckTags as { Key: string; Value: string }[]).find((t) => t.Key === 'Name')?.Value;

/** A template's value with its references to the template's own resources named by what they stand for. */
function resolveRefs(t: Template, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveRefs(t, v));
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.Ref === 'string' && t.Resources[o.Ref]) return standsFor(t, o.Ref);
    const getAtt = o['Fn::GetAtt'] as string[] | undefined;
    if (getAtt && t.Resources[getAtt[0]]) return standsFor(t, getAtt[0]);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolveRefs(t, v)]));
  }
  return value;
}

function standsFor(t: Template, logicalId: string): string {
  const r = t.Resources[logicalId];
  if (r.Type === 'AWS::Route53::HealthCheck') return `check:${nameTag(r)}`;
  if (r.Type === 'AWS::CloudWatch::Alarm') return String(r.Properties.AlarmName);
  if (r.Type === 'AWS::ApiGatewayV2::Api') return '<websocket api id>';
  return `<${r.Type}>`;
}

/** Route 53's fields of a check's config that the deployed system sets (Route 53 fills in the rest). */
const CHECK_FIELDS = [
  'Type',
  'FullyQualifiedDomainName',
  'ResourcePath',
  'Port',
  'EnableSNI',
  'RequestInterval',
  'FailureThreshold',
  'Inverted',
  'Regions',
  'AlarmIdentifier',
  'InsufficientDataHealthStatus',
  'ChildHealthChecks',
  'HealthThreshold',
] as const;

const pick = (o: Record<string, unknown>, keys: readonly string[]) =>
  Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));

async function servedChecks(): Promise<Map<string, Record<string, unknown>>> {
  const checks: HealthCheck[] = [];
  let marker: string | undefined;
  do {
    const page = await r53.send(new ListHealthChecksCommand({ Marker: marker }));
    checks.push(...(page.HealthChecks ?? []));
    marker = page.IsTruncated ? page.NextMarker : undefined;
  } while (marker);
  const referenceOf = new Map(checks.map((c) => [c.Id, c.CallerReference]));
  return new Map(
    checks.map((c) => {
      const config = { ...(c.HealthCheckConfig as unknown as Record<string, unknown>) };
      if (config.ChildHealthChecks) {
        config.ChildHealthChecks = (config.ChildHealthChecks as string[]).map(
          (id) => `check:${referenceOf.get(id)}`,
        );
      }
      return [c.CallerReference ?? '', config];
    }),
  );
}

describe('parity: the sandbox serves what the stacks deploy (3 regions, canary)', {
  timeout: 120_000,
}, () => {
  it('parity: every Route 53 health check of the templates is served with the same config, and no other', async () => {
    const served = await servedChecks();
    const deployed = new Map<string, Record<string, unknown>>();
    for (const t of templates.values()) {
      for (const [, r] of resources(t, 'AWS::Route53::HealthCheck')) {
        deployed.set(
          nameTag(r) ?? '',
          resolveRefs(t, r.Properties.HealthCheckConfig) as Record<string, unknown>,
        );
      }
    }
    expect([...served.keys()].sort()).toEqual([...deployed.keys()].sort());
    expect(deployed.size).toBe(3 * 5);
    for (const [reference, config] of deployed) {
      const fields = CHECK_FIELDS.filter((k) => config[k] !== undefined || k === 'Inverted');
      const expected = { Inverted: false, ...pick(config, fields) };
      expect(pick(served.get(reference) ?? {}, fields), reference).toEqual(expected);
    }
  });

  it('parity: every record of the region stacks is served under its name, type, set, region and health check', async () => {
    const list = await r53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: topology.hostedZone.id, MaxItems: 300 }),
    );
    const checkReference = new Map<string, string>();
    const checks: HealthCheck[] = (await r53.send(new ListHealthChecksCommand({}))).HealthChecks ?? [];
    for (const c of checks) checkReference.set(c.Id ?? '', `check:${c.CallerReference}`);
    const key = (r: { Name?: unknown; Type?: unknown; SetIdentifier?: unknown }) =>
      `${String(r.Name).replace(/\.$/, '')}|${r.Type}|${r.SetIdentifier ?? ''}`;
    const servedRecords = new Map(
      (list.ResourceRecordSets ?? []).map((r) => [
        key(r),
        {
          Region: r.Region,
          HealthCheckId: r.HealthCheckId ? checkReference.get(r.HealthCheckId) : undefined,
        },
      ]),
    );
    let compared = 0;
    for (const t of templates.values()) {
      for (const [, r] of resources(t, 'AWS::Route53::RecordSet')) {
        const p = resolveRefs(t, r.Properties) as Record<string, unknown>;
        expect(servedRecords.get(key(p)), key(p)).toEqual({
          Region: p.Region,
          HealthCheckId: p.HealthCheckId,
        });
        compared++;
      }
    }
    expect(compared).toBe(3 * 3);
  });

  it('parity: every alarm of the region stacks is served in its region with the same metric, math and settings', async () => {
    for (const region of topology.regions) {
      const t = templates.get(region.key) as Template;
      const cw = new CloudWatchClient(clientConfig(sandbox, region.awsRegion));
      try {
        const served = new Map<string, MetricAlarm>();
        let token: string | undefined;
        do {
          const page = await cw.send(
            new DescribeAlarmsCommand({
              AlarmNamePrefix: names.alarmPrefix(topology, region.key),
              NextToken: token,
            }),
          );
          for (const a of page.MetricAlarms ?? []) served.set(a.AlarmName ?? '', a);
          token = page.NextToken;
        } while (token);
        const apiId = sandbox.regions.get(region.key)?.info().apiId;
        const deployed = resources(t, 'AWS::CloudWatch::Alarm').map(
          ([, r]) => resolveRefs(t, r.Properties) as Record<string, unknown>,
        );
        expect([...served.keys()].sort()).toEqual(deployed.map((a) => String(a.AlarmName)).sort());
        for (const alarm of deployed) {
          const name = String(alarm.AlarmName);
          const got = served.get(name) as unknown as Record<string, unknown>;
          expect(normalizeAlarm(got, apiId), name).toEqual(normalizeAlarm(alarm, '<websocket api id>'));
        }
      } finally {
        cw.destroy();
      }
    }
  });
});

type Query = {
  Id: string;
  Expression?: string;
  Label?: string;
  ReturnData?: boolean;
  Period?: number;
  MetricStat?: {
    Metric: { Namespace: string; MetricName: string; Dimensions?: Dimension[] };
    Stat: string;
    Period: number;
  };
};
type Dimension = { Name: string; Value: unknown };

/** An alarm's settings as both sides state them, its period named and its API id named by what it is. */
function normalizeAlarm(a: Record<string, unknown>, apiId: unknown): Record<string, unknown> {
  // CloudWatch names a metric by its set of dimensions: their order is not part of it.
  const dims = (list: Dimension[] | undefined) =>
    (list ?? [])
      .map((d) => ({ Name: d.Name, Value: d.Name === 'ApiId' && d.Value === apiId ? '<api>' : d.Value }))
      .sort((x, y) => x.Name.localeCompare(y.Name));
  const queries = (a.Metrics as Query[] | undefined) ?? [];
  const period = (a.Period as number | undefined) ?? queries.find((q) => q.MetricStat)?.MetricStat?.Period;
  const named = (expression: string) => expression.replace(new RegExp(`\\b${period}\\b`, 'g'), '<period>');
  return {
    AlarmDescription: a.AlarmDescription,
    Namespace: a.Namespace,
    MetricName: a.MetricName,
    Dimensions: a.Metrics ? undefined : dims(a.Dimensions as Dimension[]),
    Statistic: a.Statistic,
    ExtendedStatistic: a.ExtendedStatistic,
    Threshold: a.Threshold,
    ComparisonOperator: a.ComparisonOperator,
    EvaluationPeriods: a.EvaluationPeriods,
    DatapointsToAlarm: a.DatapointsToAlarm ?? a.EvaluationPeriods,
    TreatMissingData: a.TreatMissingData,
    Metrics: a.Metrics
      ? queries
          .map((q) =>
            q.ReturnData === false || q.MetricStat
              ? {
                  Id: q.Id,
                  Namespace: q.MetricStat?.Metric.Namespace,
                  MetricName: q.MetricStat?.Metric.MetricName,
                  Dimensions: dims(q.MetricStat?.Metric.Dimensions),
                  Stat: q.MetricStat?.Stat,
                }
              : { Expression: named(q.Expression ?? ''), Label: q.Label },
          )
          .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))
      : undefined,
  };
}
