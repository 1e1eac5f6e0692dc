/** Replication as the Sandbox runs it: its lag model, the faults that pause or delay it, its checkpoint, its log. */
import type { FaultRegistry } from '../faults.js';
import type { SandboxLogEvent } from '../log.js';
import { replicationCheckpointOf, type SandboxOptions } from '../options.js';
import { isRoutineItem } from '../routine.js';
import { Replicator } from './replicator.js';

export interface SandboxReplicatorInput {
  readonly endpoint: string;
  readonly instanceId: string;
  readonly tableName: string;
  readonly lagMs: (from: string, to: string) => number;
  readonly faults: FaultRegistry;
  readonly options: Pick<SandboxOptions, 'pollIntervalMs' | 'idlePollIntervalMs' | 'persist' | 'dataDir'>;
  readonly onError: (error: Error, where: string) => void;
  /** The sandbox log, when it keeps one: a line per replication batch. */
  readonly log?: (event: SandboxLogEvent) => void;
}

export function sandboxReplicator(input: SandboxReplicatorInput): Replicator {
  const { faults, options, log } = input;
  return new Replicator({
    endpoint: input.endpoint,
    instanceId: input.instanceId,
    tableName: input.tableName,
    lagMs: input.lagMs,
    extraDelayMs: (region) => faults.latencyMs(region),
    faultPaused: (region) => faults.has(region, 'replication-pause'),
    pollIntervalMs: options.pollIntervalMs,
    idlePollIntervalMs: options.idlePollIntervalMs,
    onError: input.onError,
    ...replicationCheckpointOf(options),
    ...(log ? { onBatch: (batch) => log({ kind: 'replication', ...batch }), isRoutine: isRoutineItem } : {}),
  });
}
