import { ChatctlCommand } from '../../base.js';
import { listRegions, type RegionRow } from '../../ops/regions.js';
import { table } from '../../output.js';

export default class RegionList extends ChatctlCommand<typeof RegionList, { regions: RegionRow[] }> {
  static override summary = 'List the regions of the topology, with their AWS region and role.';
  static override examples = ['<%= config.bin %> region list', '<%= config.bin %> region list --json'];

  protected async execute() {
    // Read-only, so it works before `chatctl init`: without a file it shows the default topology.
    return { regions: listRegions(await this.topology()) };
  }

  protected override render(result: { regions: RegionRow[] }): void {
    this.log(
      table([
        ['KEY', 'AWS REGION', 'PROBE SUBNET', 'ROLE'],
        ...result.regions.map((r) => [r.key, r.awsRegion, r.probeSubnet, r.roles.join(', ') || '-']),
      ]),
    );
  }
}
