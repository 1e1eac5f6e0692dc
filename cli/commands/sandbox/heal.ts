import { Args } from '@oclif/core';
import { ChatctlCommand } from '../../base.js';
import { regionInput } from '../../flags.js';
import type { HealResult } from '../../ops/sandbox/faults.js';
import { color } from '../../output.js';

export default class SandboxHeal extends ChatctlCommand<typeof SandboxHeal, HealResult> {
  static override sandboxOnly = true;
  static override summary = 'Heal one fault of a sandbox region, or all of them.';
  static override examples = [
    '<%= config.bin %> sandbox heal tokyo',
    '<%= config.bin %> sandbox heal tokyo gateway-down',
  ];
  static override args = {
    region: regionInput(Args.string({ description: 'region key', required: true })),
    fault: Args.string({
      description: 'gateway-down | replication-pause | latency | relay-error | throttle (default: all)',
    }),
  };

  protected async execute(): Promise<HealResult> {
    const { healFault } = await import('../../ops/sandbox/faults.js');
    return healFault(this.args.region, this.args.fault);
  }

  protected override render(result: HealResult): void {
    if (result.healed.length === 0)
      this.log(`no ${this.args.fault ?? ''} fault to heal in ${result.region}`.replace('  ', ' '));
    else this.log(`${color.green('healed')} ${result.healed.join(', ')} in ${result.region}`);
    if (result.active.length > 0) {
      this.log(color.dim(`still active: ${result.active.map((f) => `${f.region} ${f.fault}`).join(', ')}`));
    }
  }
}
