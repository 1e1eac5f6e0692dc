import { Args, Flags } from '@oclif/core';
import { ChatctlCommand } from '../../base.js';
import { regionInput } from '../../flags.js';
import type { TrafficLevelResult } from '../../ops/traffic/index.js';
import { color, table } from '../../output.js';

export default class TrafficLevel extends ChatctlCommand<typeof TrafficLevel, TrafficLevelResult> {
  static override summary =
    "Set the runtime's load level (0-3) for one region or all, and print what it sheds.";
  static override description =
    'Level 0 serves everything; each level above sheds more low-priority work (history depth, reactions and notices, ' +
    'new connections). Sending messages and their fan-out are never shed. Handlers pick the change up within seconds. ' +
    'A level set here holds against automatic load levels until `chatctl traffic auto on` releases it.';
  static override examples = [
    '<%= config.bin %> traffic level 2 --region seoul',
    '<%= config.bin %> traffic level 0',
  ];
  static override args = {
    level: Args.string({ description: 'load level: 0 (normal) to 3 (shed the most)', required: true }),
  };
  static override flags = {
    region: regionInput(Flags.string({ description: 'only this region (default: every region)' })),
    reason: Flags.string({ description: 'why (kept with the level, shown by traffic status)' }),
  };

  protected async execute(): Promise<TrafficLevelResult> {
    const { parseLevel, setTrafficLevel } = await import('../../ops/traffic/index.js');
    const level = parseLevel(this.args.level);
    const { openTarget } = await import('../../ops/target.js');
    const target = await openTarget(await this.topology());
    return setTrafficLevel(target, level, { region: this.flags.region, reason: this.flags.reason });
  }

  protected override render(result: TrafficLevelResult): void {
    this.log(
      table([
        ['REGION', 'BEFORE', 'NOW'],
        ...result.regions.map((r) => [r.region, String(r.previous), String(r.level)]),
      ]),
    );
    this.log(`\nLevel ${result.level}: ${result.sheds}.`);
    if (result.level > 0) this.log(color.dim('Back to normal: chatctl traffic level 0'));
  }
}
