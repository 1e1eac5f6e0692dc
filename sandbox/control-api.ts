/**
 * The sandbox's control API, shared by the sandbox (which serves it on its edge under /_chatctl/) and the
 * CLI (cli/ops/sandbox/, which calls it): every route with its request and reply typed once.
 */
import type { RegionSpec } from '../core/topology.js';
import type { ActiveFault } from './faults.js';
import type { ReplicationStats } from './replication/replicator.js';
import type { SandboxRegionEndpoints, SandboxState } from './state.js';

/** The edge path every control route is under. */
export const CONTROL_PREFIX = '/_chatctl';

export interface StatusReply {
  readonly state: SandboxState;
  readonly faults: readonly ActiveFault[];
  readonly replication: ReplicationStats;
}

export interface FaultRequest {
  readonly region: string;
  /** As `sandbox fault` takes it: gateway-down, replication-pause, latency=MS, relay-error. */
  readonly fault: string;
}
export interface FaultReply {
  readonly fault: ActiveFault;
}

export interface HealRequest {
  readonly region: string;
  /** One fault kind; absent heals every fault of the region. */
  readonly fault?: string;
}
export interface HealReply {
  readonly healed: readonly ActiveFault[];
}

export interface AddRegionRequest {
  readonly spec: RegionSpec;
}
export interface AddRegionReply {
  readonly key: string;
  readonly region: SandboxRegionEndpoints;
}

export interface RemoveRegionReply {
  readonly removed: true;
}

export interface StopReply {
  readonly stopping: true;
}

/** Any route's failure: status 400 for the caller's mistake (a UserError), 500 otherwise. */
export interface ErrorReply {
  readonly error: string;
  readonly hint?: string;
}

/** Each route: its method, path, request body and reply body. */
export interface ControlRoutes {
  status: { method: 'GET'; path: '/status'; request: undefined; reply: StatusReply };
  fault: { method: 'POST'; path: '/faults'; request: FaultRequest; reply: FaultReply };
  heal: { method: 'POST'; path: '/heal'; request: HealRequest; reply: HealReply };
  addRegion: { method: 'POST'; path: '/regions'; request: AddRegionRequest; reply: AddRegionReply };
  removeRegion: {
    method: 'DELETE';
    path: `/regions/${string}`;
    request: undefined;
    reply: RemoveRegionReply;
  };
  stop: { method: 'POST'; path: '/stop'; request: Record<string, never>; reply: StopReply };
}

/** The path of removeRegion for one region key. */
export const regionPath = (key: string): `/regions/${string}` => `/regions/${encodeURIComponent(key)}`;
