/**
 * What a crashed sandbox leaves behind: a kill -9 of its process skips its cleanup, so its DynamoDB Local
 * JVM keeps running (and holds the --persist data folder). `sandbox up` and `sandbox down` find the pids
 * recorded in sandbox.json, check from each process's command line that it is one of ours (a pid can be
 * reused by an unrelated process), stop it, and say so.
 */
import { commandLine, pidAlive } from '../../../core/process.js';
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
  for (const r of left) process.kill(r.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (left.some((r) => pidAlive(r.pid)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const r of left) if (pidAlive(r.pid)) process.kill(r.pid, 'SIGKILL');
  return left.map((r) => `stopped the ${r.what} (pid ${r.pid}) that a crashed sandbox left running`);
}
