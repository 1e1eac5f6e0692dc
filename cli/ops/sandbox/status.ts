/**
 * `sandbox status`: whether this user's sandbox runs and answers, its faults and replication queue, and the
 * console link; read from sandbox.json and asked live through the control API; its DynamoDB Local asked directly.
 */
import { pidAlive } from '../../../core/process.js';
import {
  consoleLink,
  readSandboxState,
  type SandboxState,
  sandboxStatePath,
} from '../../../sandbox/state.js';
import { control } from './control.js';

export interface SandboxStatus {
  readonly running: boolean;
  /** True when the process answers; false for a stale sandbox.json. */
  readonly alive: boolean;
  readonly state?: SandboxState;
  readonly faults: readonly { region: string; fault: string; since: string }[];
  readonly replication?: { observed: number; applied: number; queued: number };
  /** The console page to open in a browser, with the control secret (sandbox.json's) in its fragment. */
  readonly consoleUrl?: string;
  /** Whether DynamoDB Local answered just now (asked directly, not through the sandbox). */
  readonly engineAnswers?: boolean;
}

export async function sandboxStatus(statePath = sandboxStatePath()): Promise<SandboxStatus> {
  const state = await readSandboxState(statePath);
  if (!state) return { running: false, alive: false, faults: [] };
  if (!pidAlive(state.pid)) return { running: false, alive: false, state, faults: [] };
  try {
    const [live, engineAnswers] = await Promise.all([
      control<'status'>(state, 'GET', '/status', undefined, 3000),
      engineAnswersNow(state),
    ]);
    return {
      running: true,
      alive: true,
      engineAnswers,
      state: live.state,
      faults: live.faults.map((f) => ({ region: f.region, fault: f.spec, since: f.since })),
      replication: live.replication,
      consoleUrl: consoleLink(state),
    };
  } catch {
    return { running: true, alive: false, state, faults: [...(state.faults ?? [])] };
  }
}

/** Whether the sandbox's DynamoDB Local answers an HTTP request now (any answer counts). */
export async function engineAnswersNow(state: SandboxState, timeoutMs = 1000): Promise<boolean> {
  try {
    const response = await fetch(state.dynamodb.endpoint, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}
