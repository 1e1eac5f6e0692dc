/** `sandbox fault` and `sandbox heal`: faults of a running sandbox, through its control API. */
import { requireSandboxState, type SandboxState, sandboxStatePath } from '../../../sandbox/state.js';
import { control } from './control.js';
import { sandboxStatus } from './status.js';

export interface FaultResult {
  readonly region: string;
  readonly fault: string;
  readonly active: readonly { region: string; fault: string }[];
}

export async function injectFault(
  region: string,
  fault: string,
  statePath = sandboxStatePath(),
): Promise<FaultResult> {
  const { parseFault, formatFault } = await import('../../../sandbox/faults.js');
  const parsed = parseFault(fault);
  const state = await requireSandboxState(statePath);
  await control<'fault'>(state, 'POST', '/faults', { region, fault: formatFault(parsed) });
  const status = await sandboxStatus(statePath);
  return { region, fault: formatFault(parsed), active: status.faults };
}

export interface HealResult {
  readonly region: string;
  readonly healed: readonly string[];
  readonly active: readonly { region: string; fault: string }[];
}

export async function healFault(
  region: string,
  fault?: string,
  statePath = sandboxStatePath(),
): Promise<HealResult> {
  if (fault !== undefined) {
    const { parseFaultKind } = await import('../../../sandbox/faults.js');
    parseFaultKind(fault);
  }
  const state = await requireSandboxState(statePath);
  const result = await control<'heal'>(state, 'POST', '/heal', { region, fault });
  const status = await sandboxStatus(statePath);
  return { region, healed: result.healed.map((h) => h.spec), active: status.faults };
}

/**
 * The faults active now in the sandbox at `state.edge` (asked live, so a fault healed a moment ago is not
 * named); what sandbox.json last recorded when it does not answer.
 */
export async function activeFaults(
  state: Pick<SandboxState, 'edge' | 'faults' | 'controlSecret'>,
): Promise<{ region: string; fault: string }[]> {
  try {
    const live = await control<'status'>(state, 'GET', '/status', undefined, 2000);
    return live.faults.map((f) => ({ region: f.region, fault: f.spec }));
  } catch {
    return (state.faults ?? []).map((f) => ({ region: f.region, fault: f.fault }));
  }
}
