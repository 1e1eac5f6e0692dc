/**
 * `sandbox.json` in the per-user state folder (core/project.ts chatctlHome): where this machine's sandbox
 * listens and the topology it runs. `sandbox up` writes it, `sandbox down` removes it, and every CLI command
 * with target sandbox reads it to find its endpoints, from any folder.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UserError } from '../core/errors.js';
import { pidAlive } from '../core/process.js';
import { chatctlHome } from '../core/project.js';
import { type Topology, writeFileAtomic } from '../core/topology.js';

export interface SandboxRegionEndpoints {
  readonly awsRegion: string;
  /** ws://127.0.0.1:PORT/prod */
  readonly websocketUrl: string;
  /** http://127.0.0.1:PORT/prod (the @connections management API) */
  readonly managementUrl: string;
  /** http://127.0.0.1:PORT/health */
  readonly healthUrl: string;
}

export interface SandboxState {
  readonly pid: number;
  readonly startedAt: string;
  /** The AWS-compatible endpoint (DynamoDB, Streams, Lambda, STS, CloudWatch, Route 53, CloudFront). */
  readonly edge: string;
  readonly account: string;
  readonly regions: Readonly<Record<string, SandboxRegionEndpoints>>;
  readonly china?: { readonly url: string; readonly distributionId: string };
  /** The console page (the CLI adds the control secret to it as the URL's fragment: consoleLink). */
  readonly console?: string;
  readonly hostedZoneId?: string;
  /**
   * The DNS server (UDP and TCP on one port) answering the hosted zone, and each region's address in its
   * records (a `chat --via dns` answer maps back to a region by it).
   */
  readonly dns?: {
    readonly host: string;
    readonly port: number;
    readonly addresses: Readonly<Record<string, string>>;
  };
  readonly dynamodb: {
    readonly endpoint: string;
    readonly pid: number;
    /** Watched by the sandbox (engine-watch.ts): running, or restarting after it died. */
    readonly state?: 'running' | 'restarting' | 'stopped';
    readonly restarts?: number;
    readonly lastDeath?: { readonly at: string; readonly reason: string };
  };
  /** Set when the sandbox stopped on its own (its engine died for good): when and why. */
  readonly stopped?: { readonly at: string; readonly reason: string };
  readonly persist: boolean;
  /** The access key the edge rewrites DynamoDB requests to (one database per key and region). */
  readonly instanceId?: string;
  /** The control API's secret (64 hex), sent as x-chatctl-secret; the file is mode 0600 for it. */
  readonly controlSecret: string;
  /** True when every SigV4 signature is verified with its key's secret. */
  readonly verifySignatures?: boolean;
  /**
   * The replication lag the sandbox models for each ordered region pair ("from:to", ms: network lag plus the
   * Global Tables pipeline delay), which `replication check` and the drills report against.
   */
  readonly replication?: { readonly pipelineMs: number; readonly lagMs: Readonly<Record<string, number>> };
  /** Active faults, as `sandbox fault` takes them (e.g. latency=200). */
  readonly faults?: readonly { readonly region: string; readonly fault: string; readonly since: string }[];
  /**
   * The chat canary runs in every region (its results reach CloudWatch every so many ms); its judgement alarms
   * evaluate periods of alarmPeriodSeconds (absent in a sandbox.json from before it was written: 10).
   */
  readonly canary?: { readonly intervalMs: number; readonly alarmPeriodSeconds?: number };
  /**
   * How long its handlers trust a load level they read (absent in a sandbox.json from before it was written:
   * LOAD_LEVEL_CACHE_MS, a Lambda container's).
   */
  readonly surge?: { readonly levelCacheMs: number };
  /** The topology it runs now (regions added or removed while running included). */
  readonly topology?: Topology;
  /** Where `sandbox up` was run: its folder, and the topology file it read (none: the built-in defaults). */
  readonly startedFrom?: SandboxOrigin;
}

export interface SandboxOrigin {
  readonly cwd: string;
  readonly configPath?: string;
}

/** Any credentials work against the sandbox; these are what chatctl's own clients sign with. */
export const SANDBOX_CREDENTIALS = { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' } as const;
export const SANDBOX_ACCOUNT = '000000000000';

/** This user's sandbox folder (CHATCTL_HOME, else under $XDG_STATE_HOME or ~/.local/state). */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return chatctlHome(env);
}

export function sandboxStatePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'sandbox.json');
}

/** engine.json beside sandbox.json: what a start of DynamoDB Local left (engine-process.ts). */
export function engineRecordPath(statePath = sandboxStatePath()): string {
  return join(dirname(statePath), 'engine.json');
}

export async function readSandboxState(path = sandboxStatePath()): Promise<SandboxState | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as SandboxState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The same, synchronously (the CLI's base command reads it before a command runs); undefined when unreadable. */
export function readSandboxStateSync(path = sandboxStatePath()): SandboxState | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SandboxState;
  } catch {
    return undefined;
  }
}

/**
 * The state of the running sandbox; else one UserError saying it is not running and how to start it (exit 3,
 * as `sandbox status`), also when sandbox.json is left by a process that has gone, so that no command goes on
 * to meet refused connections.
 */
export async function requireSandboxState(path = sandboxStatePath()): Promise<SandboxState> {
  const state = await readSandboxState(path);
  if (!state) throw sandboxNotRunning();
  if (!pidAlive(state.pid)) throw sandboxNotRunning(state.pid, state.stopped?.reason);
  return state;
}

/** Exit code 3 of docs/exit-codes.md: no sandbox runs. */
export const NOT_RUNNING_EXIT = 3;

export function sandboxNotRunning(exitedPid?: number, reason?: string): UserError {
  const why =
    exitedPid === undefined
      ? ''
      : reason
        ? ` (it stopped: ${reason})`
        : ` (its process, pid ${exitedPid}, has exited)`;
  return new UserError(`the sandbox is not running${why}`, {
    hint: 'start it with: chatctl sandbox up --detach',
    exitCode: NOT_RUNNING_EXIT,
  });
}

export async function writeSandboxState(state: SandboxState, path = sandboxStatePath()): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // Mode 0600: it holds the control secret, for this user alone.
  await writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

export async function removeSandboxState(path = sandboxStatePath()): Promise<void> {
  await unlink(path).catch(() => {});
}

/**
 * True when the sandbox runs `topology` (its ports aside: they are where it runs, not what), or when its
 * sandbox.json predates the record and cannot tell.
 */
export function runsTopology(state: SandboxState, topology: Topology): boolean {
  if (!state.topology) return true;
  const what = (t: Topology) => canonical({ ...t, target: 'sandbox', sandbox: { ...t.sandbox, port: 0 } });
  return what(state.topology) === what(topology);
}

/** JSON with every object's keys sorted: two topologies compare equal whatever order their fields came in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** The console's URL to open, with the control secret in its fragment (never sent in a request line). */
export function consoleLink(
  state: Pick<SandboxState, 'console'> & { readonly controlSecret?: string },
): string | undefined {
  if (!state.console) return undefined;
  return state.controlSecret
    ? `${state.console}#secret=${encodeURIComponent(state.controlSecret)}`
    : state.console;
}
