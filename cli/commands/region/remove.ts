import { Args } from '@oclif/core';
import type { RegionSpec } from '../../../core/topology.js';
import { ChatctlCommand } from '../../base.js';
import { regionInput } from '../../flags.js';
import { type ProvisionOutcome, unprovisionRegion } from '../../ops/provision.js';
import { removeRegion } from '../../ops/regions.js';
import { color } from '../../output.js';

interface RegionRemoveResult {
  removed: RegionSpec;
  regions: string[];
  provisioning: ProvisionOutcome;
}

export default class RegionRemove extends ChatctlCommand<typeof RegionRemove, RegionRemoveResult> {
  static override summary =
    'Remove a region from the topology (never the home region, the China origin or the last one).';
  static override examples = ['<%= config.bin %> region remove na'];
  static override args = { key: regionInput(Args.string({ description: 'region key', required: true })) };

  protected async execute(): Promise<RegionRemoveResult> {
    const { topology, region } = await removeRegion(this.topologyPath, this.args.key);
    const effective = this.flags.target ? { ...topology, target: this.flags.target } : topology;
    const provisioning = await unprovisionRegion(effective, region.key);
    return { removed: region, regions: topology.regions.map((r) => r.key), provisioning };
  }

  protected override render(result: RegionRemoveResult): void {
    this.log(
      `${color.green('removed')} ${result.removed.key} (${result.removed.awsRegion}) from chatctl.json`,
    );
    this.log(`regions now: ${result.regions.join(', ')}`);
    this.log(
      `${result.provisioning.applied ? color.green('applied') : color.dim('not applied')}: ${result.provisioning.detail}`,
    );
  }
}
