import { Flags } from '@oclif/core';
import { ChatctlCommand } from '../../base.js';
import type { DrillAbortResult } from '../../ops/drill/abort.js';
import { formatMs } from '../../output.js';

/** Nothing to abort is not a failure: the state the user wants (no drill holding a region out) is the state. */
type AbortResult =
  | DrillAbortResult
  | { readonly id?: undefined; readonly how: 'nothing'; readonly detail: string };

export default class DrillAbort extends ChatctlCommand<typeof DrillAbort, AbortResult> {
  static override summary =
    'Stop the unfinished drill and put back what it changed (restore the region, the China origin).';
  static override description =
    'A running drill is sent SIGTERM and restores itself; a drill whose process is gone (crash, kill -9) is ' +
    'restored from its journal in drills/ of the state folder (~/.local/state/chatctl, or $CHATCTL_HOME). With no unfinished drill it says so and exits 0.';
  static override examples = ['<%= config.bin %> drill abort'];
  static override flags = {
    id: Flags.string({ description: 'the drill to abort (default: the unfinished one)' }),
  };

  protected async execute(): Promise<AbortResult> {
    const { drillsDir, listJournals } = await import('../../ops/drill/journal.js');
    const unfinished = (await listJournals(drillsDir())).filter(
      (j) => j.state === 'running' && (!this.flags.id || j.id === this.flags.id),
    );
    if (unfinished.length === 0) {
      return {
        how: 'nothing',
        detail: this.flags.id
          ? `drill ${this.flags.id} is not unfinished: nothing to abort`
          : 'no unfinished drill: nothing to abort',
      };
    }
    const { openTarget } = await import('../../ops/target.js');
    const { abortDrill } = await import('../../ops/drill/abort.js');
    const target = await openTarget(await this.topology());
    return abortDrill(target, { id: this.flags.id });
  }

  protected override render(result: AbortResult): void {
    if (result.how === 'nothing') {
      this.log(`${result.detail} (see the drills: chatctl drill status)`);
      return;
    }
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
