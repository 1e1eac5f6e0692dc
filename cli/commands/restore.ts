import { Args, Flags } from '@oclif/core';
import { ChatctlCommand } from '../base.js';
import { regionInput } from '../flags.js';
import type { DrainResult } from '../ops/routing/drain.js';
import { renderChange } from './drain.js';

export default class Restore extends ChatctlCommand<typeof Restore, DrainResult> {
  static override summary =
    'Put a drained region back into latency routing (revert its health check) and verify it.';
  static override examples = ['<%= config.bin %> restore tokyo', '<%= config.bin %> restore tokyo --json'];
  static override args = { key: regionInput(Args.string({ description: 'region key', required: true })) };
  static override flags = {
    'no-verify': Flags.boolean({ description: 'do not wait for DNS to show the change' }),
  };

  protected async execute(): Promise<DrainResult> {
    const { openTarget } = await import('../ops/target.js');
    const { restoreRegion } = await import('../ops/routing/drain.js');
    const target = await openTarget(await this.topology());
    return restoreRegion(target, this.args.key, { verify: !this.flags['no-verify'] });
  }

  protected override render(result: DrainResult): void {
    renderChange(this, result);
  }
}
