/**
 * What the control API (control.ts) and the console (console/) ask of a running sandbox. Sandbox implements
 * it; they import this, not the class, so the class that wires them up is not imported back.
 */
import type { RegionSpec } from '../core/topology.js';
import type { ConsoleDrills } from './console/drills.js';
import type { SandboxFaults, SandboxReplication } from './options.js';
import type { SandboxRegion } from './region.js';
import type { ServiceDefinition, ServiceNeeds } from './services/definition.js';
import type { SandboxService } from './services/service.js';
import type { SandboxRegionEndpoints, SandboxState } from './state.js';
import type { SandboxSurge } from './surge.js';

export interface ControlledSandbox {
  readonly state: SandboxState;
  /** False while starting or stopping. */
  readonly running: boolean;
  readonly faults: SandboxFaults;
  readonly replication: SandboxReplication;
  readonly drills: ConsoleDrills;
  readonly surge: SandboxSurge;
  readonly regions: ReadonlyMap<string, SandboxRegion>;
  service<H extends SandboxService>(definition: ServiceDefinition<H, ServiceNeeds>): H | undefined;
  addRegion(spec: RegionSpec): Promise<SandboxRegion & { endpoints(): SandboxRegionEndpoints }>;
  removeRegion(key: string): Promise<void>;
}
