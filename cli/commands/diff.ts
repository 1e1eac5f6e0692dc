import { Flags } from '@oclif/core';
import { ChatctlCommand } from '../base.js';
import { regionInput } from '../flags.js';
import type { StackChange } from '../ops/deploy/index.js';
import { color, table } from '../output.js';

interface DiffResult {
  changes: readonly StackChange[];
}

export default class Diff extends ChatctlCommand<typeof Diff, DiffResult> {
  static override summary =
    'Show what a deploy would change on AWS, per stack (IAM changes and deletions first).';
  static override examples = [
    '<%= config.bin %> diff --target aws',
    '<%= config.bin %> diff --region tokyo --json',
  ];
  static override flags = {
    region: regionInput(
      Flags.string({ description: 'only what this region needs (global data and its stack)' }),
    ),
  };

  protected async execute(): Promise<DiffResult> {
    const { diffStacks } = await import('../ops/deploy/deploy.js');
    const topology = await this.topology();
    return { changes: await diffStacks(topology, { region: this.flags.region }) };
  }

  protected override render(result: DiffResult): void {
    this.log(
      table([
        ['STACK', 'CHANGES', 'IAM', 'DELETES'],
        ...result.changes.map((c) => [
          c.stackName,
          String(c.changes),
          c.iamChanges ? color.yellow('yes') : 'no',
          c.removals.length > 0 ? color.red(c.removals.join(', ')) : '-',
        ]),
      ]),
    );
  }
}
