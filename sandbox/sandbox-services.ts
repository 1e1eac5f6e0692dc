/**
 * The Sandbox's services started (services/registry.ts): the shared context and the parts they may need
 * (services/context.ts), built from what the Sandbox runs, and the sandbox's own figures CloudWatch stores
 * (metric-sources.ts).
 */
import type { Topology } from '../core/topology.js';
import type { EmfCollector } from './emf-metrics.js';
import type { FaultRegistry } from './faults.js';
import type { RegionLanes } from './lanes.js';
import type { SandboxLogEvent } from './log.js';
import { sampleSandboxMetrics } from './metric-sources.js';
import { filesDirOf, type SandboxOptions } from './options.js';
import type { RunningRegion } from './region.js';
import type { Replicator } from './replication/replicator.js';
import { sandboxParts, serviceContext } from './services/context.js';
import { runningService } from './services/definition.js';
import { LAMBDA } from './services/lambda/definition.js';
import type { SandboxParts } from './services/parts.js';
import { type LoadedService, startServices } from './services/registry.js';
import type { SandboxService } from './services/service.js';

export interface SandboxServicesInput {
  topology(): Topology;
  readonly regions: ReadonlyMap<string, RunningRegion>;
  readonly engine: Omit<SandboxParts['engine'], 'noteWrite'>;
  readonly faults: FaultRegistry;
  readonly replicator: Replicator;
  readonly invocations: Set<Promise<unknown>>;
  readonly listeners: SandboxParts['listeners'];
  readonly lanes: RegionLanes;
  readonly emf: EmfCollector;
  readonly edge: SandboxParts['edge'];
  readonly options: SandboxOptions;
  log(event: SandboxLogEvent): void;
  onError(error: Error, where: string): void;
}

/** Builds and starts every loaded service into `services`, each told of every running region. */
export async function startSandboxServices(
  loaded: readonly LoadedService[],
  input: SandboxServicesInput,
  services: Map<string, SandboxService>,
): Promise<void> {
  const { regions, replicator, lanes, emf } = input;
  const figures: SandboxParts['figures'] = {
    sample: () =>
      sampleSandboxMetrics({
        topology: input.topology,
        regions: () =>
          [...regions.values()].map((r) => ({
            key: r.key,
            awsRegion: r.awsRegion,
            apiId: r.gateway.apiId,
            stage: 'prod',
          })),
        routes: (key) => lanes.counters(key).sample(),
        replication: () => replicator.pairSamples(),
        emf: () => emf.drain(),
        failedRelays: (key) => runningService(services, LAMBDA)?.failedEvents(key).length ?? 0,
      }),
  };
  const wiring = { ...input, regions: () => regions.values(), figures };
  const shared = {
    context: serviceContext(wiring),
    parts: sandboxParts(wiring),
    options: { ...input.options, ...filesDirOf(input.options) },
  };
  const infos = [...regions.values()].map((r) => r.info());
  await startServices(loaded, shared, infos, services);
}
