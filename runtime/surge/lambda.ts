/**
 * The surge controller as a Lambda: run every minute by a schedule, and at once by the region's alarms
 * (through its SNS topic). Whatever the trigger, it takes a fresh reading: an alarm only makes it run sooner.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ScheduledEvent, SNSEvent } from 'aws-lambda';
import { CUSTOM_METRICS, metricsNamespace } from '../../core/observability.js';
import { RUNTIME_ENV } from '../../core/runtime-env.js';
import { relayTargetsFrom } from '../config.js';
import { defaultMetricSink, emfLine, type MetricSink } from '../metrics/emf.js';
import {
  LAG_READ_BUDGET,
  type LaneSpec,
  readInboundReplicationLag,
  readLaneUtilization,
} from './cloudwatch.js';
import { type ControllerRun, dynamoLevelStore, runController } from './run.js';

export interface SurgeConfig {
  readonly tableName: string;
  readonly regionKey: string;
  readonly awsRegion: string;
  readonly lanes: Readonly<Record<string, LaneSpec>>;
  readonly namespace: string;
  /** Every other region's AWS region: where the replication lag into this one is published. */
  readonly replicationSources: readonly string[];
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value)
    throw new Error(`environment variable ${name} is not set; the stack sets it on the surge controller`);
  return value;
}

export function surgeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SurgeConfig {
  const raw = required(env, RUNTIME_ENV.surgeLanes);
  let lanes: Record<string, LaneSpec>;
  try {
    lanes = JSON.parse(raw) as Record<string, LaneSpec>;
  } catch {
    throw new Error(`environment variable ${RUNTIME_ENV.surgeLanes} is not JSON`);
  }
  for (const [route, lane] of Object.entries(lanes)) {
    if (typeof lane?.functionName !== 'string' || !(Number(lane?.reserved) > 0)) {
      throw new Error(
        `${RUNTIME_ENV.surgeLanes}: lane "${route}" needs {"functionName": "...", "reserved": <number>}`,
      );
    }
  }
  return {
    tableName: required(env, RUNTIME_ENV.tableName),
    regionKey: required(env, RUNTIME_ENV.regionKey),
    awsRegion: required(env, 'AWS_REGION'),
    lanes,
    namespace: env[RUNTIME_ENV.metricsNamespace] || metricsNamespace('chat'),
    replicationSources: [
      ...new Set(Object.values(relayTargetsFrom(env[RUNTIME_ENV.relayTargets])).map((t) => t.awsRegion)),
    ],
  };
}

export type SurgeEvent = Partial<ScheduledEvent> | Partial<SNSEvent>;

/** What triggered the run, for the log: the alarm's name, or the schedule. */
export function triggerOf(event: SurgeEvent | undefined): string {
  const records = (event as Partial<SNSEvent> | undefined)?.Records;
  const message = records?.[0]?.Sns?.Message;
  if (message) {
    try {
      const alarm = JSON.parse(message) as { AlarmName?: string; NewStateValue?: string };
      if (alarm.AlarmName) return `alarm ${alarm.AlarmName} -> ${alarm.NewStateValue ?? '?'}`;
    } catch {
      return 'an SNS message';
    }
  }
  return 'the schedule';
}

export function createSurgeHandler(config: SurgeConfig, sink: MetricSink = defaultMetricSink()) {
  const dynamodb = new DynamoDBClient({ region: config.awsRegion });
  const cloudwatch = new CloudWatchClient({ region: config.awsRegion });
  const store = dynamoLevelStore(dynamodb, config.tableName, config.regionKey);
  // Cross-region reads, each bounded (the SDK's defaults are no connect timeout and 3 attempts).
  const sources = config.replicationSources
    .filter((awsRegion) => awsRegion !== config.awsRegion)
    .map((awsRegion) => ({
      awsRegion,
      cloudwatch: new CloudWatchClient({
        region: awsRegion,
        maxAttempts: LAG_READ_BUDGET.maxAttempts,
        requestHandler: {
          connectionTimeout: LAG_READ_BUDGET.connectMs,
          requestTimeout: LAG_READ_BUDGET.requestMs,
          throwOnRequestTimeout: true,
        },
      }),
    }));
  return async (event?: SurgeEvent): Promise<ControllerRun & { trigger: string }> => {
    const run = await runController(config.regionKey, {
      store,
      readUtilization: (now) => readLaneUtilization(cloudwatch, config.lanes, { now }),
      readReplicationLag: (now) =>
        readInboundReplicationLag(sources, config.tableName, config.awsRegion, {
          now,
          onError: (from, error) =>
            console.warn(`replication lag from ${from} not read: ${error.name}: ${error.message}`),
        }),
    });
    const level = run.written ? run.decision.level : run.decision.previous;
    sink(
      emfLine(config.namespace, config.regionKey, [
        { name: CUSTOM_METRICS.loadLevel, value: level, unit: 'None' },
      ]),
    );
    const trigger = triggerOf(event);
    console.log(
      JSON.stringify({
        trigger,
        action: run.decision.action,
        level,
        reason: run.decision.reason,
        written: run.written,
        replicationLagMs: run.replicationLagMs ?? null,
      }),
    );
    return { ...run, trigger };
  };
}
