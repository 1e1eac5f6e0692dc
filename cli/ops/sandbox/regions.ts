/** `region add` / `region remove` with target sandbox: the change applied to a running sandbox, if any. */

import { pidAlive } from '../../../core/process.js';
import type { RegionSpec } from '../../../core/topology.js';
import { regionPath } from '../../../sandbox/control-api.js';
import { readSandboxState, type SandboxRegionEndpoints, sandboxStatePath } from '../../../sandbox/state.js';
import { control } from './control.js';

export interface RunningSandboxChange {
  readonly applied: boolean;
  readonly detail: string;
  readonly endpoints?: SandboxRegionEndpoints;
}

/** `region add` with target sandbox: starts the region in the running sandbox; a no-op when none runs. */
export async function addRegionToRunningSandbox(
  spec: RegionSpec,
  statePath = sandboxStatePath(),
): Promise<RunningSandboxChange> {
  const state = await readSandboxState(statePath);
  if (!state || !pidAlive(state.pid)) {
    return {
      applied: false,
      detail: 'no sandbox is running; the region starts with the next chatctl sandbox up',
    };
  }
  const result = await control<'addRegion'>(state, 'POST', '/regions', { spec }, 60_000);
  return {
    applied: true,
    detail: `started ${spec.key} in the running sandbox (${result.region.websocketUrl}), existing items copied in`,
    endpoints: result.region,
  };
}

/** `region remove` with target sandbox: stops the region in the running sandbox; a no-op when none runs. */
export async function removeRegionFromRunningSandbox(
  key: string,
  statePath = sandboxStatePath(),
): Promise<RunningSandboxChange> {
  const state = await readSandboxState(statePath);
  if (!state || !pidAlive(state.pid)) {
    return { applied: false, detail: 'no sandbox is running' };
  }
  if (!state.regions[key]) {
    return { applied: false, detail: `region ${key} is not running in the sandbox` };
  }
  await control<'removeRegion'>(state, 'DELETE', regionPath(key), undefined, 60_000);
  return { applied: true, detail: `stopped ${key} in the running sandbox and removed its replica` };
}
