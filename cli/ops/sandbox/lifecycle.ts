/**
 * The sandbox's lifecycle from the CLI: `sandbox up` (foreground, or --detach: a detached child runs the
 * foreground mode), `status` and `down`. One sandbox per user and machine: it is found through sandbox.json
 * in the per-user state folder (sandbox/state.ts), from any folder, and talked to through its edge's control
 * API (./control.ts); a second `up` finds it, or is refused when it asks for another topology. Faults and
 * regions have modules of their own.
 */
import { spawn } from 'node:child_process';
import { closeSync, ftruncateSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../../core/errors.js';
import { pidAlive, signalIfAlive } from '../../../core/process.js';
import { HOME_ENV } from '../../../core/project.js';
import type { Topology } from '../../../core/topology.js';
import { waitForAnswers } from '../../../sandbox/http.js';
import { ensurePrivateTree, openPrivateSync } from '../../../sandbox/private-files.js';
import {
  engineRecordPath,
  readSandboxState,
  removeSandboxState,
  runsTopology,
  type SandboxOrigin,
  type SandboxState,
  sandboxStatePath,
  stateDir,
} from '../../../sandbox/state.js';
import { drillsDir } from '../drill/journal.js';
import { control } from './control.js';
import { clearCrashedStart, sandboxProcessAlive, stopLeftovers, stopStarting } from './leftovers.js';

/**
 * This machine's running sandbox, if one runs; after a crash, stops what it left running (./leftovers.ts)
 * and clears its sandbox.json (`stopped`: one sentence per process it stopped).
 */
export async function runningSandbox(
  statePath = sandboxStatePath(),
): Promise<{ running?: SandboxState; stopped: string[] }> {
  const state = await readSandboxState(statePath);
  if (state && sandboxProcessAlive(state)) return { running: state, stopped: [] };
  const stopped = state ? await stopLeftovers(state) : [];
  if (state) await removeSandboxState(statePath);
  // A start that never wrote sandbox.json: still starting (refused: never a second engine), or crashed.
  const start = await clearCrashedStart(engineRecordPath(statePath));
  if (start.starting !== undefined) {
    throw new UserError(`a sandbox is starting on this machine (pid ${start.starting}); nothing started`, {
      hint: 'wait for it (chatctl sandbox status), or stop it: chatctl sandbox down',
    });
  }
  return { stopped: [...stopped, ...start.cleared] };
}

/** What a sandbox runs and where it came from, in a few words (for a refusal or a note). */
export function describeSandbox(state: SandboxState, statePath = sandboxStatePath()): string {
  const regions = Object.keys(state.regions).join(', ');
  const source = state.startedFrom?.configPath ?? 'the built-in default topology';
  const from = state.startedFrom ? `, started in ${state.startedFrom.cwd}` : '';
  return `regions ${regions} (${source})${from}; pid ${state.pid}, edge ${state.edge}, state ${dirname(statePath)}`;
}

/**
 * `up` while one runs: the same topology is found (nothing is started; the caller says so), another one is
 * refused, naming what runs and where.
 */
export async function findOrRefuse(
  topology: Topology,
  statePath: string,
  onNote?: (text: string) => void,
): Promise<SandboxState | undefined> {
  const { running, stopped } = await runningSandbox(statePath);
  for (const note of stopped) onNote?.(note);
  if (!running) return undefined;
  if (runsTopology(running, topology)) return running;
  throw new UserError(
    `this machine's sandbox already runs another topology: ${describeSandbox(running, statePath)}`,
    {
      hint: `use it as it is (every command finds it from any folder); or run this topology instead: chatctl sandbox restart (stops it first); or a second one beside it: ${HOME_ENV}=<another folder> chatctl sandbox up --port <another port>`,
    },
  );
}
export interface SandboxUpOptions {
  readonly topology: Topology;
  readonly port?: number;
  readonly persist?: boolean;
  /** Listen on this address instead of 127.0.0.1 (opens the sandbox to the network). */
  readonly host?: string;
  /** Verify every SigV4 signature with its key's secret. */
  readonly verifySignatures?: boolean;
  /** Browser origins let in besides the sandbox's own console origin. */
  readonly allowOrigins?: readonly string[];
  readonly cwd?: string;
  /** Where up was run and the topology file it read (recorded in sandbox.json). */
  readonly origin?: SandboxOrigin;
  /** A sentence for the user before start (what a crashed sandbox left, now stopped). */
  readonly onNote?: (text: string) => void;
  /** Called once every region answers (the CLI prints the endpoints there). */
  readonly onReady?: (state: SandboxState) => void;
  readonly onError?: (error: Error, where: string) => void;
}

export interface SandboxUpResult {
  readonly state: SandboxState;
  readonly detached: boolean;
  readonly stopped: boolean;
  /** It already ran (with this topology): found, nothing started. */
  readonly found?: boolean;
  readonly log?: string;
}

/** Every region's /health answers (the detached child's sandbox, seen from this process). */
function waitForRegions(state: SandboxState): Promise<void> {
  return waitForAnswers(Object.values(state.regions).map((r) => r.healthUrl));
}

/** Runs the sandbox in this process until SIGINT/SIGTERM or `sandbox down`; stops it cleanly, JVM included. */
export async function sandboxUpForeground(options: SandboxUpOptions): Promise<SandboxUpResult> {
  const cwd = options.cwd ?? process.cwd();
  const statePath = sandboxStatePath();
  const found = await findOrRefuse(options.topology, statePath, options.onNote);
  if (found) return { state: found, detached: false, stopped: false, found: true };
  // The log is opened in it before sandbox.json is written; private to this user (it holds the secret).
  const dir = stateDir();
  for (const note of ensurePrivateTree(dir)) options.onNote?.(note);
  // The JVM starts first: its start is the longest part of `up`, and runs while the sandbox's modules load.
  const dataDir = join(dir, 'data');
  const { startSandboxEngine } = await import('../../../sandbox/engine-start.js');
  const engine = startSandboxEngine({
    ...(options.persist ? { dataDir } : {}),
    host: options.host ?? '127.0.0.1',
    statePath,
  });
  const [{ start }, { consoleDrills }] = await Promise.all([
    import('../../../sandbox/index.js'),
    import('../drill/console.js'),
  ]).catch(async (error) => {
    await engine.stop();
    throw error;
  });
  let requestStop!: () => void;
  const stopRequested = new Promise<void>((resolve) => {
    requestStop = resolve;
  });
  const sandbox = await start(options.topology, {
    port: options.port,
    persist: options.persist,
    host: options.host,
    verifySignatures: options.verifySignatures,
    allowedOrigins: options.allowOrigins,
    dataDir,
    engine,
    statePath,
    logPath: sandboxLogFile(),
    origin: options.origin ?? { cwd },
    onStopRequest: () => requestStop(),
    onError: options.onError,
    // The chat canary runs in every region, and Route 53 routes on it as the stacks deploy it.
    canary: true,
    // The console lists the drill journals and starts drills into them, as `chatctl drill` does.
    drills: consoleDrills({ dir: drillsDir() }),
  }).catch(async (error) => {
    // A start that failed stopped the engine it took; one that failed before taking it did not.
    await engine.stop();
    throw error;
  });
  // A detached sandbox rotates its own output file by size (sandbox/out-rotation.ts).
  const stopRotating = process.env[DETACHED_ENV]
    ? (await import('../../../sandbox/out-rotation.js')).rotateOwnOutput(join(dir, 'sandbox.out'))
    : undefined;
  const onSignal = () => requestStop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
  const state = sandbox.state;
  try {
    await sandbox.ready();
    options.onReady?.(state);
    await stopRequested;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    await sandbox.stop();
    stopRotating?.();
  }
  // Stopped by its engine's death (sandbox/engine-watch.ts): the reason, and exit 1.
  if (sandbox.failure) {
    throw new UserError(`the sandbox stopped: ${sandbox.failure}`, {
      hint: `its output: chatctl sandbox logs; start it again: chatctl sandbox up${options.persist ? ' --persist' : ''}`,
    });
  }
  return { state, detached: false, stopped: true };
}

function runScript(): string {
  const argv1 = process.argv[1];
  if (argv1 && /run\.js$/.test(argv1)) return resolve(argv1);
  // dist/cli/ops/sandbox/lifecycle.js or cli/ops/sandbox/lifecycle.ts -> bin/run.js
  const here = dirname(fileURLToPath(import.meta.url));
  const fromDist = resolve(here, '../../../../bin/run.js');
  const fromSource = resolve(here, '../../../bin/run.js');
  try {
    readFileSync(fromDist);
    return fromDist;
  } catch {
    return fromSource;
  }
}

/** Set in the detached child's environment: its banner then says how to stop it from another terminal. */
export const DETACHED_ENV = 'CHATCTL_SANDBOX_DETACHED';

/** The sandbox log (sandbox/log.ts), in the state folder. */
export function sandboxLogFile(): string {
  return join(stateDir(), 'sandbox.log');
}

/** Starts the foreground mode in a detached child and returns once its sandbox.json says it is ready. */
export async function sandboxUpDetached(
  options: Omit<SandboxUpOptions, 'onReady'> & { configPath?: string; timeoutMs?: number },
): Promise<SandboxUpResult> {
  const cwd = options.cwd ?? process.cwd();
  const statePath = sandboxStatePath();
  const found = await findOrRefuse(options.topology, statePath, options.onNote);
  if (found) return { state: found, detached: true, stopped: false, found: true };
  const dir = stateDir();
  for (const note of ensurePrivateTree(dir)) options.onNote?.(note);
  // The child's own output (its banner, a crash) goes to sandbox.out; what it serves goes to sandbox.log.
  const outPath = join(dir, 'sandbox.out');
  const logPath = sandboxLogFile();
  // Appended to (emptied first), so that the child can rotate it under its own descriptors.
  const log = openPrivateSync(outPath, 'a');
  ftruncateSync(log, 0);
  const args = [runScript(), 'sandbox', 'up'];
  if (options.port !== undefined) args.push('--port', String(options.port));
  if (options.persist) args.push('--persist');
  if (options.host) args.push('--host', options.host);
  if (options.verifySignatures) args.push('--verify-signatures');
  for (const origin of options.allowOrigins ?? []) args.push('--allow-origin', origin);
  if (options.configPath) args.push('--config', options.configPath);
  if (options.topology.target) args.push('--target', options.topology.target);
  const child = spawn(process.execPath, args, {
    cwd,
    detached: true,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      NO_COLOR: '1',
      [DETACHED_ENV]: '1',
      // The same state folder, however the parent found it.
      [HOME_ENV]: dir,
    },
  });
  closeSync(log);
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  child.unref();
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      const tail = readFileSync(outPath, 'utf8').trim().split('\n').slice(-8).join('\n');
      throw new UserError(`the sandbox exited during start (code ${exited}):\n${tail}`, {
        hint: `its whole output is in ${outPath}`,
      });
    }
    const state = await readSandboxState(statePath).catch(() => undefined);
    if (state && state.pid === child.pid) {
      try {
        await waitForRegions(state);
        return { state, detached: true, stopped: false, log: logPath };
      } catch {
        // not answering yet
      }
    }
    // Often: reading sandbox.json costs little, and up returns as soon as it is there.
    await new Promise((r) => setTimeout(r, 25));
  }
  if (child.pid) signalIfAlive(child.pid, 'SIGTERM');
  throw new UserError('the sandbox did not become ready in time', { hint: `see ${outPath} and ${logPath}` });
}

export interface SandboxDownResult {
  readonly stopped: boolean;
  readonly pid?: number;
  readonly detail: string;
}

/** Stops the running sandbox (its process and its DynamoDB Local); nothing is left running. */
export async function sandboxDown(
  statePath = sandboxStatePath(),
  timeoutMs = 30_000,
): Promise<SandboxDownResult> {
  const state = await readSandboxState(statePath);
  const recordPath = engineRecordPath(statePath);
  if (!state) {
    // No sandbox.json: a start still under way is stopped; what a crashed start left is cleared.
    let start = await clearCrashedStart(recordPath);
    if (start.starting !== undefined) {
      const pid = start.starting;
      await stopStarting(pid);
      start = await clearCrashedStart(recordPath);
      const detail = [`stopped the sandbox that was starting (pid ${pid})`, ...start.cleared].join('; ');
      return { stopped: true, pid, detail };
    }
    return {
      stopped: false,
      detail: ['no sandbox is running on this machine', ...start.cleared].join('; '),
    };
  }
  const pids = [state.pid, state.dynamodb.pid].filter((pid) => pid > 0);
  if (!sandboxProcessAlive(state)) {
    const stopped = await stopLeftovers(state);
    await removeSandboxState(statePath);
    const start = await clearCrashedStart(recordPath);
    return {
      stopped: false,
      pid: state.pid,
      detail: [
        `the sandbox (pid ${state.pid}) was not running; cleared its state`,
        ...stopped,
        ...start.cleared,
      ].join('; '),
    };
  }
  try {
    await control<'stop'>(state, 'POST', '/stop', {}, 5000);
  } catch {
    signalIfAlive(state.pid, 'SIGTERM');
  }
  const deadline = Date.now() + timeoutMs;
  while (pids.some(pidAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const pid of pids) {
    if (pidAlive(pid)) signalIfAlive(pid, 'SIGKILL');
  }
  await removeSandboxState(statePath);
  const start = await clearCrashedStart(recordPath);
  return {
    stopped: true,
    pid: state.pid,
    detail: [`stopped the sandbox (pid ${state.pid})`, ...start.cleared].join('; '),
  };
}
