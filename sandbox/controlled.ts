/**
 * What the control API (control.ts) and the console (console/) ask of a running sandbox. Sandbox implements
 * it; they import this, not the class, so the class that wires them up is not imported back.
 */
import type { RegionSpec } from '../core/topology.js';
import type { ConsoleDrills } from './console/drills.js';
import type { RegionLanes } from './lanes.js';
import type { SandboxFaults, SandboxReplication } from './options.js';
import type { SandboxRegion } from './region.js';
import type { ServiceDefinition } from './services/definition.js';
import type { SandboxService } from './services/service.js';
import type { SandboxRegionEndpoints, SandboxState } from './state.js';

export interface ControlledSandbox {
  readonly state: SandboxState;
  /** False while starting or stopping. */
  readonly running: boolean;
  readonly faults: SandboxFaults;
  readonly replication: SandboxReplication;
  readonly drills: ConsoleDrills;
  /** Each region's lanes, with the rehearsal lanes drill surge sets. */
  readonly lanes: RegionLanes;
  readonly regions: ReadonlyMap<string, SandboxRegion>;
  // biome-ignore lint/suspicious/noExplicitAny: any needs and options.
  service<H extends SandboxService>(definition: ServiceDefinition<H, any, any>): H | undefined;
  addRegion(spec: RegionSpec): Promise<SandboxRegion & { endpoints(): SandboxRegionEndpoints }>;
  removeRegion(key: string): Promise<void>;
}
