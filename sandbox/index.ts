/**
 * The sandbox's public face: `start(topology, options)` starts a Sandbox (sandbox.ts) and resolves once it
 * runs; the CLI and the tests use it and the types below. docs/architecture.md, "The sandbox", describes
 * the lifecycle and the services.
 */
import type { Topology } from '../core/topology.js';
import type { SandboxOptions } from './options.js';
import { Sandbox } from './sandbox.js';

export type { DrillContext, SandboxDrills, StartedDrill } from './console/drills.js';
export type { ActiveFault, Fault, FaultKind } from './faults.js';
export { formatFault, parseFault, parseFaultKind } from './faults.js';
export type { LagSetting } from './latency.js';
export { defaultLagMs } from './latency.js';
export type { SandboxFaults, SandboxOptions, SandboxReplication } from './options.js';
export type { SandboxRegion } from './region.js';
export { Sandbox } from './sandbox.js';

export function start(topology: Topology, options: SandboxOptions = {}): Promise<Sandbox> {
  return new Sandbox(topology, options).start();
}
