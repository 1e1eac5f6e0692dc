/** The ServiceContext the Sandbox gives its services, built from its parts. */
import type { Topology } from '../../core/topology.js';
import type { FaultRegistry } from '../faults.js';
import { networkMs } from '../latency.js';
import type { SandboxLogEvent } from '../log.js';
import { SANDBOX_DNS_TTL_SECONDS, type SandboxOptions } from '../options.js';
import type { RunningRegion } from '../region.js';
import type { Replicator } from '../replication/replicator.js';
import { SANDBOX_ACCOUNT } from '../state.js';
import type { MetricSample, ServiceContext } from './service.js';

export interface SandboxParts {
  topology(): Topology;
  readonly tableName: string;
  readonly engine: ServiceContext['engine'];
  regions(): Iterable<RunningRegion>;
  readonly faults: FaultRegistry;
  lagMs(from: string, to: string): number;
  readonly replicator: Replicator;
  /** Where services keep their files (the sandbox's state folder), if anywhere. */
  readonly filesDir?: string;
  /** Work that outlives its request, awaited on stop. */
  readonly invocations: Set<Promise<unknown>>;
  readonly options: Pick<
    SandboxOptions,
    | 'healthCheckIntervalMs'
    | 'failureThreshold'
    | 'dnsTtlSeconds'
    | 'lambdaConcurrency'
    | 'lambdaAsync'
    | 'canary'
    | 'metricsIntervalMs'
  >;
  /** The address listeners bind, and the China proxy's and DNS's ports (../ports.ts). */
  readonly host: string;
  readonly ports: ServiceContext['ports'];
  /** The sandbox's own figures since the previous call, for CloudWatch (metric-sources.ts). */
  sampleMetrics(now: number): readonly MetricSample[];
  log(event: SandboxLogEvent): void;
  onError(error: Error, where: string): void;
}

export function serviceContext(parts: SandboxParts): ServiceContext {
  const { faults, replicator, invocations, options } = parts;
  const sandbox = parts.topology().sandbox;
  return {
    topology: parts.topology,
    account: SANDBOX_ACCOUNT,
    tableName: parts.tableName,
    engine: parts.engine,
    regions: () => [...parts.regions()].map((r) => Object.assign(r.info(), { app: r.app })),
    faultActive: (region, kind) => faults.has(region, kind),
    latencyFaultMs: (region) => faults.latencyMs(region),
    lagMs: parts.lagMs,
    networkMs: (from, to) => {
      const awsRegionOf = (key: string) => [...parts.regions()].find((r) => r.key === key)?.spec.awsRegion;
      const [a, b] = [awsRegionOf(from), awsRegionOf(to)];
      return a && b ? networkMs(a, b) : 0;
    },
    streamRecords: (tap) => replicator.tap(tap),
    ...(parts.filesDir ? { filesDir: parts.filesDir } : {}),
    noteWrite: (awsRegion) => replicator.noteWrite(awsRegion),
    track: (work) => {
      invocations.add(work);
      void work.finally(() => invocations.delete(work));
    },
    healthCheckIntervalMs: options.healthCheckIntervalMs ?? sandbox.healthCheckIntervalSeconds * 1000,
    failureThreshold: options.failureThreshold ?? sandbox.failureThreshold,
    dnsTtlSeconds: options.dnsTtlSeconds ?? SANDBOX_DNS_TTL_SECONDS,
    lambdaConcurrency: options.lambdaConcurrency,
    lambdaAsync: options.lambdaAsync ?? {},
    log: parts.log,
    host: parts.host,
    ports: parts.ports,
    sampleMetrics: parts.sampleMetrics,
    metricsIntervalMs: options.metricsIntervalMs ?? 1000,
    canary: Boolean(options.canary),
    onError: parts.onError,
  };
}
