/**
 * What a crashed sandbox leaves behind: a kill -9 of its process skips its cleanup. Its engine's watchdog
 * stops the JVM (sandbox/engine-process.ts), but a watchdog can be killed too, and a temp folder stays.
 * `sandbox up` and `sandbox down` find the pids recorded in sandbox.json and, for a start that never wrote
 * one, in engine.json; check from each process's start time and command line that it is one of ours (a pid
 * can be reused by an unrelated process), stop it, remove what it left, and say so.
 */
import { existsSync, rmSync } from 'node:fs';
import { commandLine, isSameProcess, pidAlive, signalIfAlive } from '../../../core/process.js';
import {
  readEngineRecord,
  removeEngineRecord,
  removeStaleLaunchers,
  WATCHDOG_NAME,
} from '../../../sandbox/engine-process.js';
import type { SandboxState } from '../../../sandbox/state.js';

interface Recorded {
  readonly pid: number;
  readonly what: string;
  /** A command line of ours contains this. */
  readonly mark: string;
}

function recorded(state: SandboxState): Recorded[] {
  return [
    { pid: state.pid, what: 'sandbox process', mark: 'sandbox' },
    { pid: state.dynamodb.pid, what: 'DynamoDB Local', mark: 'DynamoDBLocal' },
  ].filter((r) => r.pid > 0 && r.pid !== process.pid);
}

/** The recorded processes still alive and ours. */
export function liveLeftovers(state: SandboxState): Recorded[] {
  return recorded(state).filter((r) => pidAlive(r.pid) && commandLine(r.pid).includes(r.mark));
}

/** True when the recorded sandbox process runs and is a Node process (not a pid reused by another program). */
export function sandboxProcessAlive(state: SandboxState): boolean {
  if (state.pid === process.pid) return true;
  if (!pidAlive(state.pid)) return false;
  const command = commandLine(state.pid);
  return command === '' || /node|sandbox/.test(command);
}

/** Stops what a crashed sandbox left running (SIGTERM, then SIGKILL); one sentence per process stopped. */
export async function stopLeftovers(state: SandboxState, timeoutMs = 5000): Promise<string[]> {
  const left = liveLeftovers(state);
  for (const r of left) signalIfAlive(r.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (left.some((r) => pidAlive(r.pid)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const r of left) if (pidAlive(r.pid)) signalIfAlive(r.pid, 'SIGKILL');
  return left.map((r) => `stopped the ${r.what} (pid ${r.pid}) that a crashed sandbox left running`);
}

async function stopProcess(pid: number, timeoutMs: number): Promise<void> {
  signalIfAlive(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (pidAlive(pid)) signalIfAlive(pid, 'SIGKILL');
}

export interface StartLeftovers {
  /** A sandbox process still starting (engine.json's owner runs, no sandbox.json names it yet). */
  readonly starting?: number;
  /** One sentence per thing stopped or removed. */
  readonly cleared: string[];
}

/**
 * What a start left (engine.json, sandbox/engine-process.ts): when its owner still runs, a sandbox is starting
 * and nothing is touched; when the owner is gone (kill -9 during start-up), its JVM (if still ours, by start
 * time and command line), its watchdog and its temp folder are stopped and removed, and the record too. Any
 * engine temp folder of a creator that has exited is swept as well.
 */
export async function clearCrashedStart(recordPath: string, timeoutMs = 5000): Promise<StartLeftovers> {
  const cleared = removeStaleLaunchers().map((dir) => `removed the temp folder ${dir} a crashed start left`);
  const record = readEngineRecord(recordPath);
  if (!record) return { cleared };
  if (record.owner.pid !== process.pid && isSameProcess(record.owner)) {
    return { starting: record.owner.pid, cleared };
  }
  const engine = record.engine;
  if (isSameProcess(engine) && commandLine(engine.pid).includes('DynamoDBLocal')) {
    await stopProcess(engine.pid, timeoutMs);
    cleared.push(`stopped the DynamoDB Local (pid ${engine.pid}) that a crashed start left running`);
  }
  const watchdog = record.watchdogPid;
  if (watchdog && pidAlive(watchdog) && commandLine(watchdog).includes(WATCHDOG_NAME)) {
    signalIfAlive(watchdog, 'SIGKILL');
  }
  if (record.launcherDir && existsSync(record.launcherDir)) {
    rmSync(record.launcherDir, { recursive: true, force: true });
    cleared.push(`removed the temp folder ${record.launcherDir} a crashed start left`);
  }
  await removeEngineRecord(recordPath);
  cleared.push(
    `cleared ${recordPath} (the engine record of sandbox pid ${record.owner.pid}, which has exited)`,
  );
  return { cleared };
}

/** Stops a sandbox that is still starting (SIGTERM, then SIGKILL); its watchdog then stops its engine. */
export async function stopStarting(pid: number, timeoutMs = 10_000): Promise<void> {
  await stopProcess(pid, timeoutMs);
}
