import { Args, Flags } from '@oclif/core';
import { ChatctlCommand } from '../../base.js';
import type { ChinaOriginMove } from '../../ops/routing/china-origin.js';
import { color, formatMs } from '../../output.js';

export default class ChinaOrigin extends ChatctlCommand<typeof ChinaOrigin, ChinaOriginMove> {
  static override summary = "Move the China proxy's origin to another region and wait until it serves.";
  static override description =
    'UpdateDistribution (with If-Match) points the origin at the region, then pings through the proxy until the ' +
    'new region answers. chatctl.json is updated too, so a deploy keeps the new origin.';
  static override examples = ['<%= config.bin %> china origin tokyo'];
  static override args = {
    key: Args.string({ description: 'region key of the new origin', required: true }),
  };
  static override flags = {
    'no-wait': Flags.boolean({ description: 'do not wait until the new origin serves' }),
    'keep-config': Flags.boolean({ description: 'do not record the new origin in chatctl.json' }),
  };

  protected async execute(): Promise<ChinaOriginMove> {
    const { openTarget } = await import('../../ops/target.js');
    const { moveChinaOrigin } = await import('../../ops/routing/china-origin.js');
    const target = await openTarget(await this.topology());
    return moveChinaOrigin(target, this.args.key, {
      wait: !this.flags['no-wait'],
      topologyPath: this.flags['keep-config'] ? undefined : this.topologyPath,
    });
  }

  protected override render(r: ChinaOriginMove): void {
    if (!r.changed) this.log(`The China proxy's origin is already ${r.to}; nothing changed.`);
    else this.log(`China proxy ${r.distributionId}: origin ${r.from ?? '?'} -> ${r.to}`);
    if (r.servedAfterMs !== undefined) this.log(`Served by ${r.to} after ${formatMs(r.servedAfterMs)}.`);
    if (r.topologyUpdated) this.log(color.dim(`chatctl.json: china.originRegion = ${r.to}`));
  }
}
