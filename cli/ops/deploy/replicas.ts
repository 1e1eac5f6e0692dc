/**
 * Global Table replica changes, one per table update (DynamoDB refuses more in one UpdateTable, and so does
 * CloudFormation's AWS::DynamoDB::GlobalTable), in a safe order, planned from the replicas actually deployed
 * (DescribeTable) against the topology:
 * - a removal: the region's stack first (its functions stop using the replica, and its imports of other
 *   stacks' exports go), then the replica's deletion protection off, then the replica;
 * - an addition: the replica (one global-data update each), and the region's stack in the main plan after it.
 * A fresh account (no table yet) creates the table with every replica at once, which a create allows.
 */
import { findRegion, type Topology } from '../../../core/topology.js';

export type ReplicaStep =
  | {
      readonly action: 'delete-region-stack';
      readonly awsRegion: string;
      readonly why: string;
    }
  | {
      readonly action: 'update-replicas';
      /** The table's replicas after this step (AWS region codes, the home region included). */
      readonly replicaRegions: readonly string[];
      /** Replicas deployed with deletion protection off in this step. */
      readonly unprotectedReplicas: readonly string[];
      readonly why: string;
    };

export interface ReplicaChanges {
  readonly deployed?: readonly string[];
  readonly additions: readonly string[];
  readonly removals: readonly string[];
  readonly steps: readonly ReplicaStep[];
}

/** The steps that bring the deployed replicas to the topology's, one replica change per update. */
export function replicaSteps(topology: Topology, deployed: readonly string[] | undefined): ReplicaChanges {
  const wanted = topology.regions.map((r) => r.awsRegion);
  if (deployed === undefined) return { additions: wanted, removals: [], steps: [] };
  const home = findRegion(topology, topology.homeRegion).awsRegion;
  const additions = wanted.filter((code) => !deployed.includes(code));
  const removals = deployed.filter((code) => !wanted.includes(code) && code !== home);
  const steps: ReplicaStep[] = [];
  let current = [...deployed];
  for (const code of removals) {
    steps.push({
      action: 'delete-region-stack',
      awsRegion: code,
      why: `the region stack in ${code} goes before its replica (it uses the replica and imports exports)`,
    });
    steps.push({
      action: 'update-replicas',
      replicaRegions: [...current],
      unprotectedReplicas: [code],
      why: `turns deletion protection off on the ${code} replica, so that it can be removed`,
    });
    current = current.filter((c) => c !== code);
    steps.push({
      action: 'update-replicas',
      replicaRegions: [...current],
      unprotectedReplicas: [],
      why: `removes the ${code} replica`,
    });
  }
  for (const code of additions) {
    current = [...current, code];
    const key = topology.regions.find((r) => r.awsRegion === code)?.key;
    steps.push({
      action: 'update-replicas',
      replicaRegions: [...current],
      unprotectedReplicas: [],
      why: `adds the ${code} replica${key ? ` (region ${key})` : ''}`,
    });
  }
  // The main plan deploys the global data stack with the topology's replicas: the last step's set, in topology
  // order; an addition's last step is then the same template, so it is left to the main plan.
  const last = steps.at(-1);
  if (last?.action === 'update-replicas' && additions.length > 0) steps.pop();
  return { deployed, additions, removals, steps };
}
