/**
 * The deploy seam for other commands. Light on purpose: it loads the CDK (and toolkit-lib) only when a function
 * here is called, so importing this file costs nothing at start-up.
 */
import type { Topology } from '../../../core/topology.js';
import type { DeployOptions, DeployOutcome } from './deploy.js';

export type { DeployOptions, DeployOutcome, StackChange } from './deploy.js';
export type { PlannedStack, StackKind } from './plan.js';

/**
 * `chatctl region add <key>` with target aws: deploys the new replica (global data stack), the new region's
 * stack (its API, functions, domain, health check and latency record), then every other region's stack (their
 * relay targets and relay-invoke permissions now include the new region). Credentials are checked first.
 * Returns { applied, detail, plan, changes, deployed }; throws a UserError with a hint on failure.
 */
export async function deployRegionAddition(
  topology: Topology,
  key: string,
  options: DeployOptions = {},
): Promise<DeployOutcome> {
  const [{ regionAdditionPlan }, { deployStacks }] = await Promise.all([
    import('./plan.js'),
    import('./deploy.js'),
  ]);
  return deployStacks(topology, regionAdditionPlan(topology, key), options);
}
