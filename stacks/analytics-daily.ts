/**
 * The analytics pipeline's query side (docs/analytics.md): the Athena workgroup `<app>-chat-analytics` that
 * `chatctl analytics query --target aws` runs in (results under athena-results/ of the analytics bucket), and the
 * seed's daily job: EventBridge Scheduler, a few minutes after midnight UTC, starts a Step Functions workflow that
 * runs every named query (core/analytics.ts) over the day that ended and keeps each result as
 * `daily/day=<YYYY-MM-DD>/<query>.csv` in the bucket. Started by hand with `{"day": "YYYY-MM-DD"}` it sums up that day.
 */
import {
  ArnFormat,
  type CfnResource,
  Duration,
  RemovalPolicy,
  Stack,
  TimeZone,
  Validations,
} from 'aws-cdk-lib';
import { CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import {
  ContextAttribute,
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
} from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  ANALYTICS_PREFIX,
  ANALYTICS_TABLE,
  ATHENA_RESULTS_PREFIX,
  DAILY_PREFIX,
  dailyJobMinute,
  dayWhere,
  NAMED_QUERIES,
  WHERE,
} from '../core/analytics.js';
import { names } from '../core/names.js';
import type { Topology } from '../core/topology.js';

export interface AnalyticsDailyProps {
  readonly topology: Topology;
  readonly bucket: Bucket;
  readonly databaseName: string;
}

/** The JSONata of the filter of `$states.input.day`'s partitions: core/analytics.ts's dayWhere, over expressions. */
export function dayWhereJsonata(): string {
  const part = (start: number, length: number) =>
    `" & $substring($states.input.day, ${start}, ${length}) & "`;
  return `"${dayWhere(part(0, 4), part(5, 2), part(8, 2))}"`;
}

/** The daily workflow in Amazon States Language (JSONata), over the workgroup, database and bucket given. */
export function dailyDefinition(options: { workgroup: string; database: string; bucket: string }) {
  return {
    Comment: 'Runs every named analytics query over one UTC day and keeps each result in the bucket',
    QueryLanguage: 'JSONata',
    StartAt: 'Day',
    States: {
      Day: {
        Type: 'Pass',
        Comment: "the input's day, else the UTC day before the scheduled time",
        Output: {
          day: "{% $exists($states.input.day) ? $states.input.day : $fromMillis($toMillis($states.input.scheduledTime) - 86400000, '[Y0001]-[M01]-[D01]') %}",
        },
        Next: 'IsDay',
      },
      IsDay: {
        Type: 'Choice',
        Choices: [
          { Condition: '{% $contains($states.input.day, /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/) %}', Next: 'Where' },
        ],
        Default: 'NotADay',
      },
      NotADay: { Type: 'Fail', Error: 'NotADay', Cause: 'the input day is not YYYY-MM-DD' },
      Where: {
        Type: 'Pass',
        Output: { day: '{% $states.input.day %}', where: `{% ${dayWhereJsonata()} %}` },
        Next: 'Queries',
      },
      Queries: {
        Type: 'Map',
        // Each query's SQL in pieces around its filter: joined with the day's filter, it is namedQuerySql's.
        Items: NAMED_QUERIES.map((query) => ({ name: query.name, parts: query.sql.split(WHERE) })),
        ItemSelector: {
          name: '{% $states.context.Map.Item.Value.name %}',
          parts: '{% $states.context.Map.Item.Value.parts %}',
          day: '{% $states.input.day %}',
          where: '{% $states.input.where %}',
        },
        MaxConcurrency: 2,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'Run',
          States: {
            Run: {
              Type: 'Task',
              Resource: 'arn:aws:states:::athena:startQueryExecution.sync',
              Arguments: {
                QueryString: '{% $join($states.input.parts, $states.input.where) %}',
                WorkGroup: options.workgroup,
                QueryExecutionContext: { Database: options.database },
              },
              Output: {
                name: '{% $states.input.name %}',
                day: '{% $states.input.day %}',
                location: '{% $states.result.QueryExecution.ResultConfiguration.OutputLocation %}',
              },
              Retry: [
                {
                  ErrorEquals: ['Athena.TooManyRequestsException', 'Athena.InternalServerException'],
                  IntervalSeconds: 30,
                  MaxAttempts: 5,
                  BackoffRate: 2,
                },
              ],
              Next: 'Keep',
            },
            Keep: {
              Type: 'Task',
              Resource: 'arn:aws:states:::aws-sdk:s3:copyObject',
              Arguments: {
                Bucket: options.bucket,
                CopySource: "{% $substringAfter($states.input.location, 's3://') %}",
                Key: `{% '${DAILY_PREFIX}day=' & $states.input.day & '/' & $states.input.name & '.csv' %}`,
              },
              End: true,
            },
          },
        },
        End: true,
      },
    },
  };
}

export class AnalyticsDaily extends Construct {
  readonly workgroup: CfnWorkGroup;
  readonly stateMachine: StateMachine;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: AnalyticsDailyProps) {
    super(scope, id);
    const { topology, bucket, databaseName } = props;
    const stack = Stack.of(this);
    const workgroupName = names.athenaWorkgroup(topology);

    bucket.addLifecycleRule({ prefix: ATHENA_RESULTS_PREFIX, expiration: Duration.days(30) });
    this.workgroup = new CfnWorkGroup(this, 'Workgroup', {
      name: workgroupName,
      description: `${topology.app}: queries over the chat events table (chatctl analytics, the daily job)`,
      state: 'ENABLED',
      workGroupConfiguration: {
        // Every query of the workgroup writes where this says, encrypted, whatever its caller asks.
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        resultConfiguration: {
          outputLocation: `s3://${bucket.bucketName}/${ATHENA_RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    const logs = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${names.analyticsDaily(topology)}`,
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'Workflow', {
      stateMachineName: names.analyticsDaily(topology),
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(
        JSON.stringify(
          dailyDefinition({ workgroup: workgroupName, database: databaseName, bucket: bucket.bucketName }),
        ),
      ),
      timeout: Duration.hours(2),
      // Every state's start and end, without its data (the queries' results stay in the bucket).
      logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    this.stateMachine.node.addDependency(this.workgroup);
    const arn = (service: string, resource: string, resourceName?: string) =>
      stack.formatArn({ service, resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:StopQueryExecution'],
        resources: [arn('athena', 'workgroup', workgroupName)],
      }),
    );
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
        resources: [
          arn('glue', 'catalog'),
          arn('glue', 'database', databaseName),
          arn('glue', 'table', `${databaseName}/${ANALYTICS_TABLE}`),
        ],
      }),
    );
    const events = ANALYTICS_PREFIX.slice(0, ANALYTICS_PREFIX.indexOf('/') + 1);
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket'],
        resources: [bucket.bucketArn],
      }),
    );
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`${events}*`)] }),
    );
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [bucket.arnForObjects(`${ATHENA_RESULTS_PREFIX}*`)],
      }),
    );
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`${DAILY_PREFIX}*`)],
      }),
    );

    const role = this.stateMachine.role;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        "generated by aws-cdk-lib for the workflow's X-Ray tracing and CloudWatch Logs delivery, whose actions support no resource-level permissions",
    });
    const bucketId = stack.resolve((bucket.node.defaultChild as CfnResource).logicalId);
    for (const [prefix, why] of [
      [events, 'Athena reads the events table, which is every object under events/ (partitions by hour)'],
      [
        ATHENA_RESULTS_PREFIX,
        'Athena writes each query result under a name of its own, and the job copies it',
      ],
      [DAILY_PREFIX, "the job keeps each day's results under daily/day=<day>/, named at run time"],
    ]) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
        reason: `objects under one prefix of the analytics bucket only: ${why}`,
      });
    }

    this.schedule = new Schedule(this, 'Schedule', {
      scheduleName: names.analyticsDaily(topology),
      description: `${topology.app}: the daily analytics job, after midnight UTC`,
      schedule: ScheduleExpression.cron({
        minute: String(dailyJobMinute(topology)),
        hour: '0',
        timeZone: TimeZone.ETC_UTC,
      }),
      target: new StepFunctionsStartExecution(this.stateMachine, {
        input: ScheduleTargetInput.fromObject({ scheduledTime: ContextAttribute.scheduledTime }),
        retryAttempts: 3,
        maxEventAge: Duration.hours(6),
      }),
    });
  }
}
