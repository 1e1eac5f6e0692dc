import { Flags } from '@oclif/core';
import { ChatctlCommand } from '../../base.js';
import type { DrillAbortResult } from '../../ops/drill/failover.js';
import { formatMs } from '../../output.js';

export default class DrillAbort extends ChatctlCommand<typeof DrillAbort, DrillAbortResult> {
  static override summary =
    'Stop the unfinished drill and put back what it changed (restore the region, the China origin).';
  static override description =
    'A running drill is sent SIGTERM and restores itself; a drill whose process is gone (crash, kill -9) is ' +
    'restored from its journal in .chatctl/drills/.';
  static override examples = ['<%= config.bin %> drill abort'];
  static override flags = {
    id: Flags.string({ description: 'the drill to abort (default: the unfinished one)' }),
  };

  protected async execute(): Promise<DrillAbortResult> {
    const { openTarget } = await import('../../ops/target.js');
    const { abortDrill } = await import('../../ops/drill/failover.js');
    const target = await openTarget(await this.topology());
    return abortDrill(target, { id: this.flags.id });
  }

  protected override render(result: DrillAbortResult): void {
    const what = result.restored.length > 0 ? result.restored.join('; ') : 'nothing was left changed';
    this.log(
      result.how === 'signalled'
        ? `Drill ${result.id} was running: it was stopped and restored ${result.region} itself (${what}).`
        : `Drill ${result.id} had stopped: put back ${what}.`,
    );
    if (result.timeToRestoreMs !== undefined)
      this.log(`DNS answers ${result.region} again after ${formatMs(result.timeToRestoreMs)}.`);
  }
}
