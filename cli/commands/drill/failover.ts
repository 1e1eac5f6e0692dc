import { Args, Flags } from '@oclif/core';
import { ChatctlCommand } from '../../base.js';
import { durationFlag, regionInput } from '../../flags.js';
import type { DrillResult } from '../../ops/drill/report.js';
import { color, formatMs, statusWord, table } from '../../output.js';

export default class DrillFailover extends ChatctlCommand<typeof DrillFailover, DrillResult> {
  static override summary =
    'Rehearse losing a region: drain it, verify DNS and chat, hold, restore, verify replication.';
  static override description =
    'Steps: preflight (every region healthy, replication lag under threshold, safety rules); drain; verify DNS ' +
    "(TestDNSAnswer from the region's probe subnet answers another region: time to shift); verify chat where DNS " +
    "sends those users, with a user in another region; hold; verify that a client of the region's users, " +
    'reconnecting by the global name and honouring the TTL, landed in another region (time observed, next to ' +
    'the bound time to shift + TTL); restore and verify DNS (time to restore); verify the ' +
    'chat room converged in every replica. A failed step or Ctrl-C restores the region before exiting non-zero. ' +
    'The journal in drills/ of the state folder (~/.local/state/chatctl, or $CHATCTL_HOME) lets `drill status` and `drill abort` deal with a drill that crashed.';
  static override examples = [
    '<%= config.bin %> drill failover tokyo --dry-run',
    '<%= config.bin %> drill failover tokyo --hold 2m --report drills/tokyo.md',
    '<%= config.bin %> drill failover seoul --move-china-origin --json',
  ];
  static override args = {
    key: regionInput(Args.string({ description: 'region key to take out', required: true })),
  };
  static override flags = {
    'dry-run': Flags.boolean({ description: 'print the plan and the preflight result; change nothing' }),
    hold: durationFlag({ description: 'how long to keep the region out', default: 30_000, bare: 's' }),
    report: Flags.string({ description: 'write the Markdown report here (and the JSON result beside it)' }),
    'move-china-origin': Flags.boolean({
      description: "when the region is the China proxy's origin: move the origin first and back afterwards",
    }),
  };

  protected async execute(): Promise<DrillResult> {
    const { openTarget } = await import('../../ops/target.js');
    const { runFailoverDrill } = await import('../../ops/drill/run.js');
    const holdMs = this.flags.hold;
    const target = await openTarget(await this.topology());
    const controller = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      if (!controller.signal.aborted) {
        process.stderr.write(
          `\n${color.yellow(`${signal}: stopping the drill; restoring ${this.args.key} first.`)}\n`,
        );
        controller.abort(signal);
      } else {
        process.stderr.write(
          color.yellow('Still restoring; the drill exits as soon as the region is back.\n'),
        );
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      return await runFailoverDrill(target, {
        region: this.args.key,
        dryRun: this.flags['dry-run'],
        holdMs,
        reportFile: this.flags.report,
        moveChinaOrigin: this.flags['move-china-origin'],
        interrupt: controller.signal,
        renderer: this.jsonEnabled() ? 'silent' : process.stdout.isTTY ? 'default' : 'simple',
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }

  protected override render(result: DrillResult): void {
    this.log('');
    if (result.dryRun) {
      this.log(
        table([
          ['#', 'STEP', 'WHAT IT DOES', 'DRY RUN'],
          ...result.steps.map((s, i) => [
            String(i + 1),
            s.name,
            s.title,
            s.name === 'preflight'
              ? statusWord(s.status === 'passed' ? 'ok' : 'fail', s.status)
              : (s.detail ?? s.status),
          ]),
        ]),
      );
      const preflight = result.steps[0];
      this.log(`\nPreflight: ${preflight?.detail ?? '-'}`);
      this.log(
        `Dry run of ${result.region}: preflight ${result.verdict === 'passed' ? statusWord('ok', 'passed') : statusWord('fail', 'failed')}; nothing was changed.`,
      );
      return;
    }
    const word = statusWord(result.verdict === 'passed' ? 'ok' : 'fail', result.verdict.toUpperCase());
    const ratio = (ms: number | null) =>
      ms === null ? '' : ` (${(ms / result.floorMs).toFixed(2)}x the floor of ${formatMs(result.floorMs)})`;
    this.log(`Drill ${result.id}: ${word}${result.endReason ? ` (${result.endReason})` : ''}`);
    this.log(
      `  time to shift:   ${formatMs(result.timeToShiftMs ?? undefined)}${ratio(result.timeToShiftMs)}${result.shiftedTo ? `, users of ${result.region} went to ${result.shiftedTo}` : ''}`,
    );
    this.log(
      `  client moved:    ${formatMs(result.timeToClientMovedMs ?? undefined)} observed${result.clientMovedTo ? ` (to ${result.clientMovedTo})` : ''}${result.clientMoveBoundMs !== null ? `; at most ${formatMs(result.clientMoveBoundMs)} (time to shift + the record's ${result.dnsTtlSeconds} s TTL)${overrun(result)}` : ''}`,
    );
    this.log(
      `  time to restore: ${formatMs(result.timeToRestoreMs ?? undefined)}${ratio(result.timeToRestoreMs)}`,
    );
    for (const step of result.steps.filter((s) => s.status === 'failed' || s.status === 'aborted')) {
      this.log(color.red(`  ${step.name}: ${step.detail ?? step.status}`));
    }
    if (result.report?.markdown) this.log(`  report: ${result.report.markdown}`);
    if (result.report?.svg) this.log(`  timeline: ${result.report.svg}`);
    if (result.report?.json) this.log(`  result: ${result.report.json}`);
    this.log(color.dim(`  journal: ${result.journal}`));
  }

  protected override exitCodeFor(result: DrillResult): number {
    if (result.verdict === 'passed') return 0;
    return result.verdict === 'aborted' ? 130 : 1;
  }
}

/** ", 0.2 s past it" when the client moved after its bound (by more than the slack, the drill failed). */
function overrun(result: DrillResult): string {
  const past = (result.timeToClientMovedMs ?? 0) - (result.clientMoveBoundMs ?? 0);
  return result.timeToClientMovedMs !== null && past > 0 ? `, ${formatMs(past)} past it` : '';
}
