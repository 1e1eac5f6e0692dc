/**
 * CloudWatch on the sandbox's edge (signing name `monitoring`): metrics and metric alarms per AWS region, in
 * all three protocols its clients speak (./protocol.ts). Behind it are real figures: every tick it stores the
 * sandbox's own counters as AWS publishes them (Lambda per function, API Gateway per API, DynamoDB
 * replication per region pair) and what other services publish (the canary's results), then evaluates every
 * alarm (./alarms.ts). Every region has every alarm of stacks/observability.ts, metric math and single-metric
 * from the model the stacks build from (./seed.ts), on a sandbox period; the canary adds its alarms
 * (stacks/canary.ts) when it runs.
 */

import { names } from '../../../core/names.js';
import type { EdgeRequest, EdgeResponse, RegionRuntimeInfo } from '../../contracts.js';
import { serveRpc } from '../../wire/rpc.js';
import type { ServiceFactory } from '../definition.js';
import type { PartNeed, SandboxParts } from '../parts.js';
import type { AlarmStateValue, MetricSample, SandboxService, ServiceContext } from '../service.js';
import { type AlarmDefinition, AlarmStore } from './alarms.js';
import { type CloudWatchState, OPERATIONS } from './api.js';
import { MetricStore } from './metrics.js';
import { CLOUDWATCH_DIALECT } from './protocol.js';
import { observabilityAlarmDefinitions } from './seed.js';

export class CloudWatchService implements SandboxService {
  readonly name = 'monitoring';
  readonly state: CloudWatchState;
  private timer: NodeJS.Timeout | undefined;
  /** The sandbox's own figures, then what services publish (the canary's results), stored every tick. */
  private readonly sources: ((now: number) => readonly MetricSample[])[];

  constructor(
    private readonly context: ServiceContext,
    figures: SandboxParts['figures'],
    private readonly options: CloudWatchOptions = {},
  ) {
    this.sources = [(now) => figures.sample(now)];
    this.state = {
      metrics: new MetricStore(),
      alarms: new AlarmStore(context.account),
      now: () => Date.now(),
    };
  }

  handle = (request: EdgeRequest): Promise<EdgeResponse> =>
    serveRpc(request, CLOUDWATCH_DIALECT, OPERATIONS, this.state);

  /** Seeds the region's alarms as the stacks create them (./seed.ts). */
  addRegion(region: RegionRuntimeInfo): void {
    const topology = this.context.topology();
    const seeded = observabilityAlarmDefinitions(topology, region);
    for (const definition of seeded) this.putAlarm(region.awsRegion, definition);
  }

  /** An alarm as a stack would put it (the canary's judgement alarms). */
  putAlarm(awsRegion: string, definition: AlarmDefinition): void {
    this.state.alarms.put(awsRegion, definition, new Date());
  }

  /** Figures stored every tick from now on, as a service's PutMetricData would store them. */
  publish(source: (now: number) => readonly MetricSample[]): void {
    this.sources.push(source);
  }

  removeRegion(key: string): void {
    const topology = this.context.topology();
    const prefix = names.alarmPrefix(topology, key);
    for (const spec of topology.regions) {
      if (spec.key !== key) continue;
      for (const alarm of this.state.alarms.inRegion(spec.awsRegion))
        if (alarm.definition.AlarmName.startsWith(prefix))
          this.state.alarms.delete(spec.awsRegion, alarm.definition.AlarmName);
    }
  }

  start(): Promise<void> {
    this.timer = setInterval(() => this.tick(), this.options.metricsIntervalMs ?? 1000);
    this.timer.unref();
    return Promise.resolve();
  }

  /** Stores the sandbox's figures since the last tick, then evaluates every alarm. */
  tick(now = Date.now()): void {
    try {
      for (const sample of this.sources.flatMap((source) => source(now))) {
        this.state.metrics.put(
          sample.awsRegion,
          { namespace: sample.namespace, name: sample.name, dimensions: sample.dimensions },
          { at: now, values: sample.values, stats: sample.stats, unit: sample.unit },
        );
      }
      this.state.alarms.evaluateAll(this.state.metrics, now);
      this.state.metrics.prune(now);
    } catch (error) {
      this.context.onError(error as Error, 'CloudWatch tick');
    }
  }

  alarmState(awsRegion: string, alarmName: string): AlarmStateValue | undefined {
    return this.state.alarms.get(awsRegion, alarmName)?.state;
  }

  stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    return Promise.resolve();
  }
}

export interface CloudWatchOptions {
  /** How often CloudWatch stores the sandbox's figures and evaluates its alarms (default 1000 ms). */
  readonly metricsIntervalMs?: number;
}

export type CloudWatchNeeds = { figures: PartNeed<'figures'> };

export const createService: ServiceFactory<CloudWatchService, CloudWatchNeeds, CloudWatchOptions> = (
  context,
  { figures },
  options,
) => new CloudWatchService(context, figures, options);
