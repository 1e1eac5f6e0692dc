import { Args, Flags } from '@oclif/core';
import { UserError } from '../../../core/errors.js';
import { ChatctlCommand } from '../../base.js';
import { durationFlag, regionInput } from '../../flags.js';
import type { SurgeDrillResult, SurgeRun } from '../../ops/drill/surge.js';
import { color, statusWord, table } from '../../output.js';

type Result = SurgeDrillResult & { report?: { markdown?: string; json: string; svg?: string } };

export default class DrillSurge extends ChatctlCommand<typeof DrillSurge, Result> {
  static override summary =
    'Rehearse a traffic surge on one sandbox region: the same load with traffic auto on, then off.';
  static override description =
    'A bounded load generator (capped to what this machine can carry, and it says so) against the sandbox only. ' +
    'new-year: everyone online sends at once, and clients that time out reconnect and retry. earthquake: a wave ' +
    'of background logins ($connect with retries) on top of steady chat. Measures send ack and delivery p50/p99, ' +
    'connect success and shed rates, throttles and peak concurrency per lane, and the levels the controller chose. ' +
    'Passed when, with auto on, send p99 stays under the threshold while lower-priority work is shed and the level ' +
    'returns to 0 after the surge.';
  static override examples = [
    '<%= config.bin %> drill surge na --duration 5s',
    '<%= config.bin %> drill surge seoul --profile earthquake --duration 20s --report drills/surge.md',
  ];
  static override args = {
    key: regionInput(Args.string({ description: 'region key to surge', required: true })),
  };
  static override flags = {
    profile: Flags.option({ options: ['new-year', 'earthquake'] as const, default: 'new-year' as const })({
      description: 'the shape of the surge',
    }),
    duration: durationFlag({
      description: 'how long each of the two runs surges',
      default: 30_000,
      min: 1000,
      bare: 's',
    }),
    'p99-threshold': durationFlag({
      description: 'send ack p99 the auto run must stay under',
      default: 1500,
    }),
    report: Flags.string({ description: 'write the Markdown report here (with .json and .svg beside it)' }),
  };

  protected async execute(): Promise<Result> {
    const topology = await this.topology();
    if (topology.target === 'aws') {
      throw new UserError('drill surge rehearses against the sandbox only (it refuses --target aws)', {
        hint: 'run: chatctl sandbox up, then chatctl drill surge <region> --target sandbox',
      });
    }
    const { openTarget } = await import('../../ops/target.js');
    const { runSurgeDrill } = await import('../../ops/drill/surge.js');
    const target = await openTarget(topology);
    const result = await runSurgeDrill(target, {
      region: this.args.key,
      profile: this.flags.profile,
      durationMs: this.flags.duration,
      thresholdMs: this.flags['p99-threshold'],
      onProgress: this.jsonEnabled() ? undefined : (line) => this.log(color.dim(line)),
    });
    if (!this.flags.report) return result;
    const { writeSurgeReport } = await import('../../ops/drill/surge-report.js');
    return { ...result, report: await writeSurgeReport(this.flags.report, result) };
  }

  protected override render(result: Result): void {
    const row = (name: string, run: SurgeRun) => [
      name,
      `${run.summary.ackP50Ms} / ${run.summary.ackP99Ms}`,
      `${run.summary.deliveryP50Ms} / ${run.summary.deliveryP99Ms}`,
      `${(run.summary.connectShedRate * 100).toFixed(1)}%`,
      String(run.lanes.reduce((a, l) => a + l.throttles, 0)),
      String(run.peakLevel),
      run.recoveredAfterS === null ? 'no' : `${run.recoveredAfterS} s`,
    ];
    this.log('');
    this.log(
      table([
        [
          'RUN',
          'ACK P50/P99 MS',
          'DELIVERY P50/P99 MS',
          'CONNECT SHED',
          'THROTTLES',
          'PEAK LEVEL',
          'BACK TO 0',
        ],
        row('auto on', result.runs.autoOn),
        row('auto off', result.runs.autoOff),
      ]),
    );
    const word = statusWord(result.verdict === 'passed' ? 'ok' : 'fail', result.verdict.toUpperCase());
    this.log(`\nSurge drill ${result.region} (${result.profile}): ${word}`);
    for (const reason of result.reasons) this.log(color.red(`  ${reason}`));
    if (result.report?.markdown) this.log(`  report: ${result.report.markdown}`);
    if (result.report?.json) this.log(`  result: ${result.report.json}`);
  }

  protected override exitCodeFor(result: Result): number {
    return result.verdict === 'passed' ? 0 : 1;
  }
}
