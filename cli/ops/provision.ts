/**
 * The seam between the topology and the running system: after `region add` / `region remove` changed
 * chatctl.json, bring the change about on the target: the running sandbox, or AWS through a deploy.
 * Both are imported lazily: the sandbox control client is small, the deploy path loads the CDK.
 */
import { isUserError, UserError } from '../../core/errors.js';
import { names } from '../../core/names.js';
import type { RegionSpec, Topology } from '../../core/topology.js';

export interface ProvisionOutcome {
  applied: boolean;
  detail: string;
  /** Stacks deployed, in order (target aws). */
  deployed?: readonly string[];
}

export async function provisionRegion(
  topology: Topology,
  key: string,
  options: { yes?: boolean; quiet?: boolean } = {},
): Promise<ProvisionOutcome> {
  const spec = topology.regions.find((r) => r.key === key) as RegionSpec;
  if (topology.target === 'sandbox') {
    const { addRegionToRunningSandbox } = await import('./sandbox/regions.js');
    const { applied, detail } = await addRegionToRunningSandbox(spec);
    return { applied, detail };
  }
  const { deployRegionAddition } = await import('./deploy/index.js');
  try {
    const outcome = await deployRegionAddition(topology, key, { yes: options.yes, quiet: options.quiet });
    return { applied: outcome.applied, detail: outcome.detail, deployed: outcome.deployed };
  } catch (error) {
    // chatctl.json keeps the region (it is the source of truth); say so, and how to finish the job.
    if (!isUserError(error)) throw error;
    throw new UserError(`${key} was added to chatctl.json, but it was not deployed: ${error.message}`, {
      hint: `${error.hint ? `${error.hint}; then ` : ''}run: chatctl deploy`,
      cause: error,
    });
  }
}

export async function unprovisionRegion(topology: Topology, key: string): Promise<ProvisionOutcome> {
  if (topology.target === 'sandbox') {
    const { removeRegionFromRunningSandbox } = await import('./sandbox/regions.js');
    const { applied, detail } = await removeRegionFromRunningSandbox(key);
    return { applied, detail };
  }
  // Tearing a region down on AWS deletes its stack and its replica: a deliberate, separate step.
  return {
    applied: false,
    detail: `removed from chatctl.json only; to tear ${key} down on AWS run: chatctl deploy (it deletes stack ${names.regionStack(topology, key)} first, then the replica, one table update at a time; --dry-run shows the plan)`,
  };
}
