import { Args, Flags } from '@oclif/core';
import { ChatctlCommand } from '../../base.js';
import { regionInput } from '../../flags.js';
import type { TrafficAutoResult } from '../../ops/traffic/index.js';
import { color, table } from '../../output.js';

export default class TrafficAuto extends ChatctlCommand<typeof TrafficAuto, TrafficAutoResult> {
  static override summary =
    'Let the surge controller set the load level from measured lane utilization, or stop it.';
  static override description =
    "With auto on, each region's controller raises the level as soon as a lane runs hot (concurrency against its " +
    'reservation, throttles, errors) and lowers it one step at a time after a cool-down, never above --max-level. ' +
    'A level set with `traffic level` holds until `traffic auto on` releases it. Off leaves the level as it is.';
  static override examples = [
    '<%= config.bin %> traffic auto on --max-level 2',
    '<%= config.bin %> traffic auto on --region tokyo',
    '<%= config.bin %> traffic auto off',
  ];
  static override args = {
    mode: Args.string({ description: 'on or off', required: true, options: ['on', 'off'] }),
  };
  static override flags = {
    'max-level': Flags.string({
      description: 'the highest level auto may set, 0-3 (default: kept, initially 3)',
    }),
    region: regionInput(Flags.string({ description: 'only this region (default: every region)' })),
  };

  protected async execute(): Promise<TrafficAutoResult> {
    const { parseLevel, setTrafficAuto } = await import('../../ops/traffic/index.js');
    const maxLevel = this.flags['max-level'] === undefined ? undefined : parseLevel(this.flags['max-level']);
    const { openTarget } = await import('../../ops/target.js');
    const target = await openTarget(await this.topology());
    return setTrafficAuto(target, this.args.mode === 'on', { region: this.flags.region, maxLevel });
  }

  protected override render(result: TrafficAutoResult): void {
    this.log(
      table([
        ['REGION', 'AUTO', 'MAX', 'LEVEL', 'SET BY'],
        ...result.regions.map((r) => [
          r.region,
          r.auto.enabled ? 'on' : 'off',
          String(r.auto.maxLevel),
          String(r.level),
          r.setBy ?? '-',
        ]),
      ]),
    );
    this.log(
      color.dim(
        result.enabled
          ? '\nThe controller decides from its next run (every minute on AWS). See why: chatctl traffic status'
          : '\nThe level stays where it is. Set it by hand: chatctl traffic level <0-3>',
      ),
    );
  }
}
