/**
 * The deploy seam for other commands. Light on purpose: it loads the CDK (and toolkit-lib) only when a function
 * here is called, so importing this file costs nothing at start-up.
 */
import type { Topology } from '../../../core/topology.js';
import type { DeployOptions, DeployOutcome } from './deploy.js';

export type { DeployOptions, DeployOutcome, StackChange } from './deploy.js';
export type { PlannedStack, StackKind } from './plan.js';
export type { DeployPlan, DeployStep } from './prepare.js';

/**
 * `chatctl region add <key>` with target aws: the whole deploy plan, which reads the replicas deployed and adds
 * the new one (one table update), checks the new region's CDK bootstrap and Lambda quota first, then deploys the
 * stacks in dependency order (the new region's after its replica; the others for their new relay targets).
 * Returns { applied, detail, plan, changes, deployed }; throws a UserError with a hint on failure.
 */
export async function deployRegionAddition(
  topology: Topology,
  _key: string,
  options: DeployOptions = {},
): Promise<DeployOutcome> {
  const { deployChat } = await import('./deploy.js');
  return deployChat(topology, options);
}
