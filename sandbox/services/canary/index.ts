/**
 * The chat canary as a service: for each region, the judgement alarms the stacks create (seeded in CloudWatch
 * as the region is added), the probes (./probes.ts), and their results published to CloudWatch every tick
 * (./metrics.ts), where the alarms watch them and Route 53's CLOUDWATCH_METRIC checks follow those alarms.
 */
import { names } from '../../../core/names.js';
import type { RegionRuntimeInfo } from '../../contracts.js';
import type { CLOUDWATCH } from '../cloudwatch/definition.js';
import type { CloudWatchService } from '../cloudwatch/index.js';
import { canaryAlarmDefinitions, SANDBOX_ALARM_PERIOD_SECONDS } from '../cloudwatch/seed.js';
import type { ServiceFactory } from '../definition.js';
import type { SandboxService, ServiceContext, ServiceStateFields } from '../service.js';
import { canaryMetrics } from './metrics.js';
import { CanaryProbes } from './probes.js';

export interface CanaryOptions {
  readonly canary?: boolean | { readonly intervalMs?: number };
}

export type CanaryNeeds = { monitoring: typeof CLOUDWATCH };

export class CanaryService implements SandboxService {
  readonly name = 'chatctl-canary';
  private readonly probes: CanaryProbes;

  constructor(
    private readonly context: ServiceContext,
    private readonly monitoring: CloudWatchService | undefined,
    readonly intervalMs: number,
  ) {
    const globalName = names.chatRecord(context.topology());
    this.probes = new CanaryProbes({
      regions: () =>
        context.regions().map((r) => {
          const global = new URL(r.websocketUrl);
          global.hostname = globalName;
          return { key: r.key, websocketUrl: r.websocketUrl, globalUrl: global.toString() };
        }),
      topology: context.topology,
      intervalMs,
    });
  }

  /** The region's canary alarms (each judge's judgement, the round trip's p99), as the stacks' canary creates them. */
  addRegion(region: RegionRuntimeInfo): void {
    for (const alarm of canaryAlarmDefinitions(this.context.topology(), region.key))
      this.monitoring?.putAlarm(region.awsRegion, alarm);
  }

  start(): Promise<void> {
    this.monitoring?.publish(() =>
      canaryMetrics(this.context.topology(), this.context.regions(), this.probes.drain()),
    );
    this.probes.start();
    return Promise.resolve();
  }

  /** Stops every probe of a region (its own canary's and its judges'), as if none of them reported any more. */
  silence(key: string): void {
    this.probes.silence(key);
  }

  resume(key: string): void {
    this.probes.resume(key);
  }

  /** The newest result of a region's own canary on it, with when it finished. */
  last(key: string): ReturnType<CanaryProbes['last']> {
    return this.probes.last(key);
  }

  stateFields(): ServiceStateFields {
    return { canary: { intervalMs: this.intervalMs, alarmPeriodSeconds: SANDBOX_ALARM_PERIOD_SECONDS } };
  }

  stop(): Promise<void> {
    return this.probes.stop();
  }
}

export const createService: ServiceFactory<CanaryService, CanaryNeeds, CanaryOptions> = (
  context,
  { monitoring },
  { canary },
) =>
  canary
    ? new CanaryService(context, monitoring, canary === true ? 2000 : (canary.intervalMs ?? 2000))
    : undefined;
