/** What `new Sandbox(topology, options)` takes, and the views it hands out of its faults and replication. */

import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { UserError } from '../core/errors.js';
import type { SandboxDrills } from './console/drills.js';
import type { StartingEngine } from './engine-start.js';
import {
  type ActiveFault,
  type Fault,
  type FaultKind,
  type FaultRegistry,
  parseFault,
  parseFaultKind,
} from './faults.js';
import type { LagSetting } from './latency.js';
import type { SandboxLogEvent } from './log.js';
import type { PairLag, ReplicationStats, Replicator } from './replication/replicator.js';
import type { ChatAppFactory } from './runtime-host.js';
import type { ServiceOptions } from './services/registry.js';
import { type SandboxOrigin, stateDir } from './state.js';

export { SANDBOX_DNS_TTL_SECONDS } from './dns-name.js';

/**
 * How long the sandbox's handlers trust a load level they read: a second, so a level the surge controller sets
 * acts within a drill's seconds (a Lambda container keeps it LOAD_LEVEL_CACHE_MS, 5 s).
 */
export const SANDBOX_LEVEL_CACHE_MS = 1000;

/**
 * What `new Sandbox(topology, options)` takes: the options of its lifecycle (below), and each service's
 * slice, declared in its definition (services/<service>/definition.ts) and composed here through the
 * registry: Route 53's healthCheckIntervalMs, failureThreshold and dnsTtlSeconds, Lambda's lambdaConcurrency
 * and lambdaAsync, CloudWatch's metricsIntervalMs, the canary's canary, the surge controller's surge, the
 * analytics pipeline's filesDir.
 */
export interface SandboxOptions extends LifecycleOptions, ServiceOptions {}

export interface LifecycleOptions {
  /**
   * Edge port; the regions, the China proxy and DNS take the ports after it (ports.ts). 0 gives every
   * listener any free port. Default: topology.sandbox.port.
   */
  readonly port?: number;
  /** Keep DynamoDB data on disk across restarts (in `dataDir`, default `data` in the state folder). */
  readonly persist?: boolean;
  readonly dataDir?: string;
  /** Where `sandbox up` ran and the topology file it read; sandbox.json records it. */
  readonly origin?: SandboxOrigin;
  /** Reuse a running DynamoDB Local instead of starting one (tests share one engine). */
  readonly dynamoEndpoint?: string;
  /** How long the handlers trust a load level they read (default SANDBOX_LEVEL_CACHE_MS). */
  readonly levelCacheMs?: number;
  /** The engine the caller started early for this sandbox (engine-start.ts; `sandbox up` does). */
  readonly engine?: StartingEngine;
  /**
   * The access key every DynamoDB request is rewritten to: DynamoDB Local keeps one database per access key
   * and region, so sandboxes sharing one engine stay apart. Default: random with dynamoEndpoint, else fixed.
   */
  readonly instanceId?: string;
  /** Replication lag: ms for every pair, or per pair "from:to" of region keys (and "*"). Default: geographic. */
  readonly lag?: LagSetting;
  /** API Gateway's idle timeout (10 min) and maximum connection time (2 h), shorter for tests. */
  readonly idleTimeoutMs?: number;
  readonly maxConnectionMs?: number;
  /**
   * The address every listener binds (default 127.0.0.1). Anything else opens the sandbox to the network:
   * the CLI warns.
   */
  readonly host?: string;
  /** Recompute every SigV4 signature with its key's secret (`sandbox up --verify-signatures`). Default false. */
  readonly verifySignatures?: boolean;
  /** Browser origins allowed besides the sandbox's own console origin (http://127.0.0.1:<edge port>). */
  readonly allowedOrigins?: readonly string[];
  /** The control API's secret (default: 32 random bytes, hex). */
  readonly controlSecret?: string;
  /** Run the global services (Route 53, CloudFront and the China proxy). Default true. */
  readonly globalServices?: boolean;
  /**
   * Replication's stream reads: at most every pollIntervalMs (20) while the edge notes writes in the region,
   * and every idlePollIntervalMs (100) otherwise.
   */
  readonly pollIntervalMs?: number;
  readonly idlePollIntervalMs?: number;
  /**
   * The sandbox log (sandbox/log.ts): a line per edge request, handler invocation, fault change and
   * replication batch, rotated at a bounded size. Default: no log.
   */
  readonly logPath?: string;
  /** The log's level and rotation size (default: the topology's `sandbox.log`, else info and 5 MiB). */
  readonly logLevel?: 'info' | 'debug';
  readonly logMaxBytes?: number;
  /** How often level info sums up the routine traffic it left out (default 5 minutes). */
  readonly logSummaryMs?: number;
  /** Where to write sandbox.json (kept up to date; removed on stop). Default: not written. */
  readonly statePath?: string;
  /** Recorded in sandbox.json as the process that runs the sandbox. Default: this process. */
  readonly pid?: number;
  /**
   * How the handlers' AWS clients reach the edge and the gateways: 'in-process' (default) hands each signed
   * request to the router the port serves, 'http' goes through the loopback ports as any outside client does.
   */
  readonly transport?: 'in-process' | 'http';
  /** The runtime's app factory; default runtime/app.js createChatApp. */
  readonly createApp?: ChatAppFactory;
  /** Called by the control API's stop request (the CLI exits its process there). Default: stop(). */
  readonly onStopRequest?: () => void;
  /** Errors of background work (replication, handlers). Default: printed to stderr. */
  readonly onError?: (error: Error, where: string) => void;
  /**
   * The console's drills (console/drills.ts): list the journal's drills and start one. The CLI's `sandbox up`
   * passes its own; without it the console's drills panel says drills need `chatctl sandbox up`.
   */
  readonly drills?: SandboxDrills;
}

export interface SandboxFaults {
  /** gateway-down | replication-pause | latency=MS | relay-error | throttle (a string as the CLI takes it, or a Fault). */
  inject(region: string, fault: Fault | string): ActiveFault;
  /** Heals one fault kind, or every fault of the region; returns what was healed. */
  heal(region: string, kind?: FaultKind | string): ActiveFault[];
  list(region?: string): ActiveFault[];
}

export interface SandboxReplication {
  pause(region: string): void;
  resume(region: string): void;
  isPaused(region: string): boolean;
  /** Waits until every change made so far is applied in every region that is not paused. */
  settle(timeoutMs?: number): Promise<void>;
  waitIdle(timeoutMs?: number): Promise<void>;
  readonly stats: ReplicationStats;
  /** Every pair with changes waiting to be applied at the far end. */
  pairs(): PairLag[];
  /** The configured one-way lag between two region keys, ms (without latency faults). */
  lagMs(from: string, to: string): number;
}

export const defaultOnError = (error: Error, where: string) => {
  process.stderr.write(`sandbox: ${where}: ${error?.message ?? String(error)}\n`);
};

/**
 * The faults as tests and the control API change them; `requireRegion` throws for a region not running, and
 * `log` gets a line for each fault injected or healed.
 */
export function faultsView(
  faults: FaultRegistry,
  requireRegion: (key: string) => void,
  log: (event: SandboxLogEvent) => void = () => {},
): SandboxFaults {
  return {
    inject: (region, fault) => {
      requireRegion(region);
      const active = faults.inject(region, typeof fault === 'string' ? parseFault(fault) : fault);
      log({ kind: 'fault', action: 'injected', region, fault: active.spec });
      return active;
    },
    heal: (region, kind) => {
      requireRegion(region);
      const healed = faults.heal(region, kind === undefined ? undefined : parseFaultKind(kind));
      for (const f of healed) log({ kind: 'fault', action: 'healed', region, fault: f.spec });
      return healed;
    },
    list: (region) => faults.list(region),
  };
}

export function replicationView(
  replicator: () => Replicator,
  requireRegion: (key: string) => void,
  lagMs: (from: string, to: string) => number,
): SandboxReplication {
  return {
    pause: (region) => {
      requireRegion(region);
      replicator().pause(region);
    },
    resume: (region) => {
      requireRegion(region);
      replicator().resume(region);
    },
    isPaused: (region) => replicator().isPaused(region),
    settle: (timeoutMs) => replicator().waitIdle(timeoutMs),
    waitIdle: (timeoutMs) => replicator().waitIdle(timeoutMs),
    get stats() {
      return replicator().stats;
    },
    pairs: () => replicator().pairs(),
    lagMs,
  };
}

/** The access key DynamoDB requests are rewritten to: as given, random with a shared engine, else fixed. */
export function instanceIdOf(options: SandboxOptions): string {
  const id =
    options.instanceId ?? (options.dynamoEndpoint ? `sbx${randomBytes(6).toString('hex')}` : 'chatctl');
  if (!/^[A-Za-z0-9]{1,64}$/.test(id))
    throw new UserError(`instanceId "${id}" must be 1-64 letters or digits`);
  return id;
}

/** DynamoDB Local's options: its data on disk (in dataDir, default `data` in the state folder) with `persist`. */
export function dynamoOptionsOf(options: SandboxOptions): { dataDir?: string } {
  return options.persist ? { dataDir: options.dataDir ?? join(stateDir(), 'data') } : {};
}

/** With `persist`, replication keeps its checkpoint beside the engine's data, which it describes. */
export function replicationCheckpointOf(options: SandboxOptions): { checkpointPath?: string } {
  const { dataDir } = dynamoOptionsOf(options);
  return dataDir ? { checkpointPath: join(dataDir, 'replication.json') } : {};
}

/** Where services keep files: filesDir, else beside sandbox.json, else nowhere. */
export function filesDirOf(options: SandboxOptions): { filesDir?: string } {
  const dir = options.filesDir ?? (options.statePath ? dirname(options.statePath) : undefined);
  return dir ? { filesDir: dir } : {};
}
