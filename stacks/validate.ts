/**
 * Checks the props every construct receives before it builds anything: a construct trusts nothing it did not
 * validate, so a bad topology fails with a sentence, not with a CloudFormation error an hour into a deploy.
 */
import { parseTopology, type Topology } from '../core/topology.js';

export class StackPropsError extends Error {
  constructor(construct: string, message: string) {
    super(`${construct}: ${message}`);
    this.name = 'StackPropsError';
  }
}

/** Re-validates the topology with the one schema (constructs may be given a hand-built object). */
export function validateTopology(construct: string, topology: Topology): Topology {
  try {
    return parseTopology(topology, `${construct} props.topology`);
  } catch (error) {
    throw new StackPropsError(construct, (error as Error).message);
  }
}

export function validateRegionKey(construct: string, topology: Topology, regionKey: string): void {
  if (!topology.regions.some((r) => r.key === regionKey)) {
    throw new StackPropsError(
      construct,
      `region "${regionKey}" is not in the topology (regions: ${topology.regions.map((r) => r.key).join(', ')})`,
    );
  }
}
