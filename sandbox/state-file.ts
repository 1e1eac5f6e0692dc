/**
 * sandbox.json of a running Sandbox: its content read from what runs (the regions' endpoints, what each
 * service adds, the engine, faults, the replication model), and the file kept up to date, one write at a
 * time, after the sandbox has started and until it stops.
 */
import type { Topology } from '../core/topology.js';
import type { FaultRegistry } from './faults.js';
import { lagModel } from './latency.js';
import type { RunningRegion } from './region.js';
import type { SandboxService } from './services/service.js';
import {
  removeSandboxState,
  SANDBOX_ACCOUNT,
  type SandboxOrigin,
  type SandboxRegionEndpoints,
  type SandboxState,
  writeSandboxState,
} from './state.js';

export interface StateSources {
  readonly pid: number;
  readonly startedAt: string;
  readonly edge: string;
  readonly console: string;
  readonly regions: Iterable<RunningRegion>;
  readonly services: Iterable<SandboxService>;
  readonly dynamodb: SandboxState['dynamodb'];
  readonly persist: boolean;
  readonly instanceId: string;
  readonly controlSecret: string;
  readonly verifySignatures: boolean;
  readonly lagMs: (from: string, to: string) => number;
  readonly faults: FaultRegistry;
  readonly levelCacheMs: number;
  readonly topology: Topology;
  readonly origin?: SandboxOrigin;
}

export function sandboxState(from: StateSources): SandboxState {
  const regions = [...from.regions];
  const endpoints: Record<string, SandboxRegionEndpoints> = {};
  for (const region of regions) endpoints[region.key] = region.endpoints();
  const fields = Object.assign({}, ...[...from.services].map((s) => s.stateFields?.() ?? {}));
  return {
    pid: from.pid,
    startedAt: from.startedAt,
    edge: from.edge,
    account: SANDBOX_ACCOUNT,
    console: from.console,
    regions: endpoints,
    ...fields,
    dynamodb: from.dynamodb,
    persist: from.persist,
    instanceId: from.instanceId,
    controlSecret: from.controlSecret,
    verifySignatures: from.verifySignatures,
    replication: lagModel(
      regions.map((r) => r.key),
      from.lagMs,
      from.topology.sandbox.replicationDelayMs,
    ),
    faults: from.faults.list().map((f) => ({ region: f.region, fault: f.spec, since: f.since })),
    surge: { levelCacheMs: from.levelCacheMs },
    topology: from.topology,
    ...(from.origin ? { startedFrom: from.origin } : {}),
  };
}

/** Writes sandbox.json (atomically, mode 0600) one write after another; nothing without a path. */
export class StateFile {
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string | undefined,
    private readonly onError: (error: Error, where: string) => void,
  ) {}

  /** Writes `state()` after any write in progress, when `live` (the sandbox runs and is not stopping). */
  write(state: () => SandboxState, live: boolean): Promise<void> {
    const path = this.path;
    if (!path || !live) return this.writing;
    this.writing = this.writing
      .then(() => writeSandboxState(state(), path))
      .catch((e: Error) => this.onError(e, 'writing sandbox.json'));
    return this.writing;
  }

  /** Resolves once the writes in progress are done. */
  settled(): Promise<void> {
    return this.writing;
  }

  /**
   * On stop: removed, or kept saying why when the sandbox stopped on its own (its engine died for good), for
   * status and every command to tell.
   */
  async close(final: (() => SandboxState) | undefined, reason: string | undefined): Promise<void> {
    if (!this.path) return;
    if (reason && final) {
      const stopped = { at: new Date().toISOString(), reason };
      await writeSandboxState({ ...final(), stopped }, this.path).catch(() => {});
    } else await removeSandboxState(this.path);
  }
}
