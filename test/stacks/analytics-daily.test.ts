// The analytics query side as synthesized in the global data stack: the Athena workgroup `analytics query` runs
// in, and the daily job (EventBridge Scheduler after midnight UTC -> Step Functions -> every named query in Athena
// -> daily/day=<day>/<query>.csv in the analytics bucket).
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { NAMED_QUERIES, namedQuerySql, WHERE } from '../../core/analytics.js';
import { defaultTopology, type Topology } from '../../core/topology.js';
import { dailyDefinition, dayWhereJsonata } from '../../stacks/analytics-daily.js';
import { GlobalDataStack } from '../../stacks/global-data-stack.js';

const code = { kind: 'placeholder' } as const;
const topology: Topology = {
  ...defaultTopology({ target: 'aws' }),
  account: '123456789012',
  analytics: { enabled: true },
};

type Resource = { Properties: Record<string, unknown> };
let app: App;
let template: Template;

beforeAll(() => {
  app = new App();
  template = Template.fromStack(new GlobalDataStack(app, 'chat-global-data', { topology, code }));
}, 180_000);

/** The JSONata string concatenation dayWhereJsonata() builds, evaluated for one day (its only operators). */
function evaluateWhere(expression: string, day: string): string {
  const unquoted = expression.replace(/^"|"$/g, '');
  return unquoted.replace(/" & \$substring\(\$states\.input\.day, (\d+), (\d+)\) & "/g, (_, start, length) =>
    day.substr(Number(start), Number(length)),
  );
}

describe('stacks: the analytics workgroup and daily job', { timeout: 120_000 }, () => {
  it('analytics: the workgroup <app>-chat-analytics enforces its encrypted result location in the analytics bucket', () => {
    const workgroups = Object.values(template.findResources('AWS::Athena::WorkGroup')) as Resource[];
    expect(workgroups).toHaveLength(1);
    const [workgroup] = workgroups;
    expect(workgroup.Properties.Name).toBe('chat-chat-analytics');
    const config = workgroup.Properties.WorkGroupConfiguration as Record<string, unknown>;
    expect(config).toMatchObject({
      EnforceWorkGroupConfiguration: true,
      ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } },
    });
    expect(JSON.stringify(config)).toMatch(/s3:\/\/.*AnalyticsEvents.*athena-results\//);
    // Results are kept 30 days.
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Prefix: 'athena-results/', ExpirationInDays: 30 })]),
      },
    });
  });

  it('analytics: a schedule starts the daily workflow at 00:06 UTC with its scheduled time, through a role only Scheduler assumes', () => {
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule')) as Resource[];
    expect(schedules).toHaveLength(1);
    const [schedule] = schedules;
    expect(schedule.Properties).toMatchObject({
      Name: 'chat-chat-analytics-daily',
      ScheduleExpression: 'cron(6 0 * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
    });
    const target = schedule.Properties.Target as { Arn: unknown; RoleArn: unknown; Input: string };
    expect(JSON.parse(target.Input)).toEqual({ scheduledTime: '<aws.scheduler.scheduled-time>' });
    const [machineId] = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(target.Arn).toEqual({ Ref: machineId });
    const roleId = (target.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const role = template.findResources('AWS::IAM::Role')[roleId] as Resource;
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain('scheduler.amazonaws.com');
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: {
        Statement: [Match.objectLike({ Action: 'states:StartExecution', Resource: { Ref: machineId } })],
      },
    });
  });

  it('analytics: the workflow is a logged, traced standard state machine running every named query in the workgroup', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'chat-chat-analytics-daily',
      StateMachineType: 'STANDARD',
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
      TracingConfiguration: { Enabled: true },
    });
    const definition = dailyDefinition({ workgroup: 'w', database: 'd', bucket: 'b' });
    const map = definition.States.Queries;
    expect(map.Items.map((i) => i.name)).toEqual(NAMED_QUERIES.map((q) => q.name));
    const run = map.ItemProcessor.States.Run;
    expect(run.Resource).toBe('arn:aws:states:::athena:startQueryExecution.sync');
    expect(run.Arguments).toMatchObject({ WorkGroup: 'w', QueryExecutionContext: { Database: 'd' } });
    expect(map.ItemProcessor.States.Keep.Arguments.Bucket).toBe('b');
    // The template's definition carries the stack's workgroup and database.
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as Resource[];
    const text = JSON.stringify(machine.Properties.DefinitionString);
    expect(text).toContain('chat-chat-analytics');
    expect(text).toContain('chat_chat_analytics');
  });

  it("analytics: each query the workflow runs for a day is namedQuerySql's for that day, and its result lands under daily/day=<day>/", () => {
    const definition = dailyDefinition({ workgroup: 'w', database: 'd', bucket: 'b' });
    const where = evaluateWhere(dayWhereJsonata(), '2026-12-07');
    for (const item of definition.States.Queries.Items) {
      const query = NAMED_QUERIES.find((q) => q.name === item.name)!;
      expect(item.parts.length, query.name).toBe(query.sql.split(WHERE).length);
      expect(item.parts.join(where)).toBe(namedQuerySql(query, '2026-12-07'));
    }
    expect(definition.States.Queries.ItemProcessor.States.Keep.Arguments.Key).toBe(
      "{% 'daily/day=' & $states.input.day & '/' & $states.input.name & '.csv' %}",
    );
    // A day given by hand is checked before any query runs.
    expect(definition.States.IsDay.Default).toBe('NotADay');
  });

  it("analytics: the workflow's role runs queries in its workgroup, reads the catalog's table and writes only its prefixes", () => {
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as Resource[];
    const roleId = (machine.Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const policy = (Object.values(template.findResources('AWS::IAM::Policy')) as Resource[]).find((p) =>
      JSON.stringify(p.Properties.Roles).includes(roleId),
    )!;
    const json = JSON.stringify(policy.Properties.PolicyDocument);
    expect(json).toContain('workgroup/chat-chat-analytics');
    expect(json).toContain('table/chat_chat_analytics/events');
    for (const prefix of ['/events/*', '/athena-results/*', '/daily/*']) expect(json).toContain(prefix);
    expect(json).not.toMatch(/"s3:\*"|"athena:\*"|"glue:\*"/);
    expect(json).not.toContain('s3:DeleteObject');
  });

  it('analytics: cdk-nag finds nothing unacknowledged in the global data stack with analytics', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(
      report.violations.map((v) => `${v.ruleName} at ${v.violatingResources[0]?.constructPath}`),
    ).toEqual([]);
  });
});
