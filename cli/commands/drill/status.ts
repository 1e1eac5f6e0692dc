import { ChatctlCommand } from '../../base.js';
import type { DrillStatusResult } from '../../ops/drill/status.js';
import { color, statusWord, table } from '../../output.js';

export default class DrillStatus extends ChatctlCommand<typeof DrillStatus, DrillStatusResult> {
  static override summary =
    'Show unfinished drills (running or crashed, with what they left changed) and recent ones.';
  static override examples = ['<%= config.bin %> drill status', '<%= config.bin %> drill status --json'];

  protected async execute(): Promise<DrillStatusResult> {
    const { drillStatus } = await import('../../ops/drill/status.js');
    return drillStatus();
  }

  protected override render(result: DrillStatusResult): void {
    if (result.unfinished.length === 0) this.log('No unfinished drill.');
    else {
      this.log(
        table([
          ['DRILL', 'REGION', 'STATE', 'STEP', 'STILL CHANGED'],
          ...result.unfinished.map((d) => [
            d.id,
            d.region,
            statusWord(
              d.state === 'running' ? 'warn' : 'fail',
              d.state === 'running' ? `running (pid ${d.pid})` : 'interrupted',
            ),
            d.currentStep ?? '-',
            d.pending.join('; ') || '-',
          ]),
        ]),
      );
      this.log(color.dim('Stop it and put everything back: chatctl drill abort'));
    }
    if (result.recent.length > 0) {
      this.log('\nRecent drills:');
      this.log(
        table([
          ['DRILL', 'REGION', 'VERDICT', 'ENDED'],
          ...result.recent.map((d) => [
            d.id,
            d.region,
            statusWord(
              d.verdict === 'passed' ? 'ok' : 'fail',
              `${d.verdict ?? '-'}${d.dryRun ? ' (dry run)' : ''}`,
            ),
            d.endedAt ?? '-',
          ]),
        ]),
      );
    }
  }
}
