/**
 * The seam between the topology and the running system: after `region add` / `region remove` changed
 * chatctl.json, bring the change about on the target (the running sandbox, or AWS through a deploy).
 */
import type { Topology } from '../../core/topology.js';

export interface ProvisionOutcome {
  applied: boolean;
  detail: string;
}

export async function provisionRegion(
  topology: Topology,
  key: string,
  options: { yes?: boolean } = {},
): Promise<ProvisionOutcome> {
  void options;
  void key;
  return {
    applied: false,
    detail: `provisioning for target ${topology.target} lands with the sandbox and deploy issues; the topology is updated`,
  };
}

export async function unprovisionRegion(topology: Topology, key: string): Promise<ProvisionOutcome> {
  void key;
  return {
    applied: false,
    detail: `de-provisioning for target ${topology.target} lands with the sandbox and deploy issues; the topology is updated`,
  };
}
