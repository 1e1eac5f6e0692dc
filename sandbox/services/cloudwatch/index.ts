/**
 * CloudWatch on the sandbox's edge (signing name `monitoring`): metrics and metric alarms per AWS region, in
 * all three protocols its clients speak (./protocol.ts). Behind it are real figures: every tick it stores the
 * sandbox's own counters as AWS publishes them (Lambda per function, API Gateway per API, DynamoDB
 * replication per region pair, the canary), then evaluates every alarm (./alarms.ts). When the canary runs,
 * each region has the canary alarm the stacks create (stacks/canary.ts); every region has every alarm of
 * stacks/observability.ts, metric math and single-metric, from the model the stacks build from (./seed.ts), on
 * a sandbox period.
 */

import { names } from '../../../core/names.js';
import type { EdgeRequest, EdgeResponse, RegionRuntimeInfo } from '../../contracts.js';
import { serveRpc } from '../../wire/rpc.js';
import type { ServiceFactory } from '../definition.js';
import type { AlarmStateValue, SandboxService, ServiceContext } from '../service.js';
import { AlarmStore } from './alarms.js';
import { type CloudWatchState, OPERATIONS } from './api.js';
import { MetricStore } from './metrics.js';
import { CLOUDWATCH_DIALECT } from './protocol.js';
import { canaryAlarmDefinitions, observabilityAlarmDefinitions } from './seed.js';

export class CloudWatchService implements SandboxService {
  readonly name = 'monitoring';
  readonly state: CloudWatchState;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly context: ServiceContext) {
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
    if (this.context.canary) seeded.push(...canaryAlarmDefinitions(topology, region.key));
    for (const definition of seeded) this.state.alarms.put(region.awsRegion, definition, new Date());
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
    this.timer = setInterval(() => this.tick(), this.context.metricsIntervalMs);
    this.timer.unref();
    return Promise.resolve();
  }

  /** Stores the sandbox's figures since the last tick, then evaluates every alarm. */
  tick(now = Date.now()): void {
    try {
      for (const sample of this.context.sampleMetrics(now)) {
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

export const createService: ServiceFactory<CloudWatchService> = (context) => new CloudWatchService(context);
