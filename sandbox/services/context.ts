/** The ServiceContext and the parts (./parts.ts) the Sandbox gives its services, built from what it runs. */
import type { Topology } from '../../core/topology.js';
import type { FaultRegistry } from '../faults.js';
import type { RegionLanes } from '../lanes.js';
import { networkMs } from '../latency.js';
import type { SandboxLogEvent } from '../log.js';
import type { RunningRegion } from '../region.js';
import type { Replicator } from '../replication/replicator.js';
import { SANDBOX_ACCOUNT } from '../state.js';
import type { SandboxParts } from './parts.js';
import type { ServiceContext } from './service.js';

export interface SandboxWiring {
  topology(): Topology;
  regions(): Iterable<RunningRegion>;
  readonly engine: Omit<SandboxParts['engine'], 'noteWrite'>;
  readonly faults: FaultRegistry;
  readonly replicator: Replicator;
  /** Work that outlives its request, awaited on stop. */
  readonly invocations: Set<Promise<unknown>>;
  readonly listeners: SandboxParts['listeners'];
  readonly figures: SandboxParts['figures'];
  readonly lanes: RegionLanes;
  readonly edge: SandboxParts['edge'];
  log(event: SandboxLogEvent): void;
  onError(error: Error, where: string): void;
}

export function serviceContext(wiring: SandboxWiring): ServiceContext {
  return {
    topology: wiring.topology,
    account: SANDBOX_ACCOUNT,
    regions: () => [...wiring.regions()].map((r) => Object.assign(r.info(), { app: r.app })),
    log: wiring.log,
    onError: wiring.onError,
  };
}

export function sandboxParts(wiring: SandboxWiring): SandboxParts {
  const { faults, replicator, invocations } = wiring;
  const awsRegionOf = (key: string) => [...wiring.regions()].find((r) => r.key === key)?.spec.awsRegion;
  return {
    engine: { ...wiring.engine, noteWrite: (awsRegion) => replicator.noteWrite(awsRegion) },
    faults: {
      active: (region, kind) => faults.has(region, kind),
      latencyMs: (region) => faults.latencyMs(region),
    },
    network: {
      ms: (from, to) => {
        const [a, b] = [awsRegionOf(from), awsRegionOf(to)];
        return a && b ? networkMs(a, b) : 0;
      },
    },
    streams: { tap: (tap) => replicator.tap(tap) },
    background: {
      track: (work) => {
        invocations.add(work);
        void work.finally(() => invocations.delete(work));
      },
    },
    listeners: wiring.listeners,
    figures: wiring.figures,
    replication: { inboundLagMs: (key, now) => replicator.inboundLagMs(key, now) },
    lanes: wiring.lanes,
    edge: wiring.edge,
  };
}
