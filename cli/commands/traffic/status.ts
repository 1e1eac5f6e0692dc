import { Flags } from '@oclif/core';
import { ChatctlCommand } from '../../base.js';
import { regionInput } from '../../flags.js';
import type { TrafficStatusResult } from '../../ops/traffic/index.js';
import { color, statusWord, table } from '../../output.js';

export default class TrafficStatus extends ChatctlCommand<typeof TrafficStatus, TrafficStatusResult> {
  static override summary = "Show each region's load level, who set it (the operator or auto) and why.";
  static override examples = ['<%= config.bin %> traffic status', '<%= config.bin %> traffic status --json'];
  static override flags = {
    region: regionInput(Flags.string({ description: 'only this region' })),
  };

  protected async execute(): Promise<TrafficStatusResult> {
    const { trafficStatus } = await import('../../ops/traffic/index.js');
    const { openTarget } = await import('../../ops/target.js');
    const target = await openTarget(await this.topology());
    return trafficStatus(target, { region: this.flags.region });
  }

  protected override render(result: TrafficStatusResult): void {
    this.log(
      table([
        ['REGION', 'LEVEL', 'SET BY', 'AUTO', 'SINCE', 'WHY'],
        ...result.regions.map((r) => [
          r.region,
          statusWord(r.level === 0 ? 'ok' : r.level === 3 ? 'fail' : 'warn', String(r.level)),
          r.setBy ?? '-',
          r.auto.enabled ? `on (max ${r.auto.maxLevel})` : 'off',
          r.updatedAt ?? '-',
          r.reason ?? color.dim(r.level === 0 ? 'nothing shed' : '-'),
        ]),
      ]),
    );
    for (const r of result.regions) {
      if (r.level > 0) this.log(`${r.region} level ${r.level} sheds: ${r.sheds}`);
    }
    if (result.regions.some((r) => r.setBy === 'operator' && r.auto.enabled)) {
      this.log(color.dim("An operator's level holds against auto until: chatctl traffic auto on"));
    }
  }
}
