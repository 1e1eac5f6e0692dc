import { Args, Flags } from '@oclif/core';
import { ChatctlCommand } from '../../base.js';
import { regionInput } from '../../flags.js';
import type { ChinaOriginMove } from '../../ops/routing/china-origin.js';
import { color, formatMs } from '../../output.js';

export default class ChinaOrigin extends ChatctlCommand<typeof ChinaOrigin, ChinaOriginMove> {
  static override summary =
    "Pin the China proxy's origin to a region, or let it follow latency DNS again (global), and wait until it serves.";
  static override description =
    'By default the origin is the global name chat.<domain>: CloudFront reaches the region latency DNS gives its ' +
    'edge, and China users follow a drain or a failure as every user does. A region key pins the origin to that ' +
    "region's own name (it then stays there, drained or not); `global` lets it follow DNS again. UpdateDistribution " +
    '(with If-Match) changes the origin, then pings through the proxy until the pinned region (for global: any ' +
    'region) answers. chatctl.json is updated too, so a deploy keeps the choice.';
  static override examples = [
    '<%= config.bin %> china origin tokyo',
    '<%= config.bin %> china origin global',
  ];
  static override args = {
    key: regionInput(
      Args.string({
        description: 'region key to pin the origin to, or global (chat.<domain>)',
        required: true,
      }),
      ['global'],
    ),
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
    if (r.servedAfterMs !== undefined)
      this.log(`Served by ${r.servedBy ?? r.to} after ${formatMs(r.servedAfterMs)}.`);
    if (r.topologyUpdated) {
      this.log(
        color.dim(
          r.to === 'global'
            ? 'chatctl.json: china.originRegion removed'
            : `chatctl.json: china.originRegion = ${r.to}`,
        ),
      );
    }
  }
}
