/**
 * The sandbox's control API, shared by the sandbox (which serves it on its edge under /_chatctl/) and the
 * CLI (cli/ops/sandbox/, which calls it): every route with its request and reply typed once.
 */
import type { Route } from '../core/protocol.js';
import type { RegionSpec } from '../core/topology.js';
import type { ActiveFault } from './faults.js';
import type { PairLag, ReplicationStats } from './replication/replicator.js';
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
  /** As `sandbox fault` takes it: gateway-down, replication-pause, latency=MS, relay-error, throttle, cognito-down. */
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

/** One region as the console shows it. */
export interface ConsoleRegion {
  readonly key: string;
  readonly awsRegion: string;
  readonly websocketUrl: string;
  readonly healthUrl: string;
  /** Down while a gateway-down fault is active. */
  readonly gateway: 'up' | 'down';
  /** GET /health on the region's port, probed for this snapshot. */
  readonly health: { readonly ok: boolean; readonly detail: string };
  /** The Route 53 health check latency routing uses (absent without Route 53). */
  readonly healthCheck?: {
    readonly healthy: boolean;
    readonly lastProbe?: { readonly ok: boolean; readonly detail: string; readonly at: string };
  };
  /** The surge controller's last load level, 0-3 (absent before its first run). */
  readonly loadLevel?: number;
  readonly faults: readonly ActiveFault[];
  readonly replicationPaused: boolean;
  readonly connections: number;
}

/** The console's view of the whole sandbox at one moment: GET /console/snapshot, and each event of the stream. */
export interface ConsoleSnapshot {
  readonly at: string;
  readonly regions: readonly ConsoleRegion[];
  /** For each region's probe subnet, the region latency DNS answers chat.<domain> with now. */
  readonly routing: readonly { readonly region: string; readonly subnet: string; readonly answer?: string }[];
  /** Pairs (from -> to) with changes not yet applied at the far end; a pair absent is caught up. */
  readonly lag: readonly PairLag[];
  readonly china?: { readonly url: string; readonly distributionId: string; readonly origin?: string };
  /** The faults `POST /faults` takes, as the buttons offer them. */
  readonly faultKinds: readonly string[];
  /** The drill last started from the console (POST /console/drills), step by step as it runs. */
  readonly drill?: ConsoleDrill;
}

export type ConsoleDrillStepStatus = 'pending' | 'running' | 'passed' | 'failed' | 'skipped' | 'aborted';

export interface ConsoleDrillStep {
  readonly name: string;
  readonly title: string;
  readonly status: ConsoleDrillStepStatus;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly durationMs?: number;
  readonly detail?: string;
}

/** One drill of the journal, as the console shows it. */
export interface ConsoleDrill {
  readonly id: string;
  readonly kind: string;
  readonly region: string;
  readonly target: 'sandbox' | 'aws';
  readonly dryRun: boolean;
  /** unfinished: the journal says running but its process is gone (see chatctl drill status). */
  readonly state: 'running' | 'finished' | 'unfinished';
  readonly verdict?: 'passed' | 'failed' | 'aborted';
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly endReason?: string;
  readonly steps: readonly ConsoleDrillStep[];
  readonly timeToShiftMs?: number;
  readonly timeToRestoreMs?: number;
  readonly shiftedTo?: string;
  /** The drill report's SVG timeline (drawn by the CLI's report code); absent while the drill runs. */
  readonly timelineSvg?: string;
}

/** GET /console/drills: the journal's recent drills, newest first. */
export interface ConsoleDrillsReply {
  /** False when the sandbox runs without the CLI's drills (started by a test or an embedding program). */
  readonly available: boolean;
  /** The kinds POST /console/drills starts. */
  readonly kinds: readonly string[];
  readonly drills: readonly ConsoleDrill[];
}

/** POST /console/drills: start a drill (a dry run unless dryRun is false). */
export interface StartDrillRequest {
  readonly kind: string;
  readonly region: string;
  /** Default true: a dry run changes nothing. */
  readonly dryRun?: boolean;
  /** How long a real drill keeps the region out (default 30 s). */
  readonly holdMs?: number;
  /** When the region is the China proxy's origin: move the origin away first and back afterwards. */
  readonly moveChinaOrigin?: boolean;
}
export interface StartDrillReply {
  readonly drill: ConsoleDrill;
}

/** A development token for the console's chat panes (the sandbox's $connect accepts it for an hour). */
export interface ConsoleTokenRequest {
  readonly userId: string;
}
export interface ConsoleTokenReply {
  readonly token: string;
}

/**
 * POST /surge/lanes: run a region with rehearsal lanes in place of the topology's (drill surge sets them for
 * its runs, scaled to what one machine carries); null puts the topology's back.
 */
export interface SurgeLanesRequest {
  readonly region: string;
  readonly lanes: Readonly<Partial<Record<Route, number>>> | null;
}
export interface SurgeLanesReply {
  readonly region: string;
  /** The lanes the region runs with now. */
  readonly lanes: Readonly<Partial<Record<Route, number>>>;
  readonly rehearsal: boolean;
}

/** Any route's failure: status 400 for the caller's mistake (a UserError), 500 otherwise. */
export interface ErrorReply {
  readonly error: string;
  readonly hint?: string;
  /** The CLI's exit code for it (docs/exit-codes.md): 2 for a bad region key or fault name. */
  readonly exitCode?: number;
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
  consoleToken: {
    method: 'POST';
    path: '/console/token';
    request: ConsoleTokenRequest;
    reply: ConsoleTokenReply;
  };
  consoleSnapshot: { method: 'GET'; path: '/console/snapshot'; request: undefined; reply: ConsoleSnapshot };
  consoleDrills: { method: 'GET'; path: '/console/drills'; request: undefined; reply: ConsoleDrillsReply };
  startDrill: { method: 'POST'; path: '/console/drills'; request: StartDrillRequest; reply: StartDrillReply };
  surgeLanes: { method: 'POST'; path: '/surge/lanes'; request: SurgeLanesRequest; reply: SurgeLanesReply };
}

/** The console page (HTML, then its script), served from the package. */
export const CONSOLE_PAGE_PATH = '/console/';
/** Server-sent events, each `data:` one ConsoleSnapshot, sent when it changes. */
export const CONSOLE_EVENTS_PATH = '/console/events';
/** The local event bus's JSON-lines endpoint for local programs (services/events/http.ts; docs/events.md). */
export const EVENTS_PATH = '/events';

/** The path of removeRegion for one region key. */
export const regionPath = (key: string): `/regions/${string}` => `/regions/${encodeURIComponent(key)}`;
