import { ChatctlCommand, EXIT } from '../base.js';
import type { DoctorResult } from '../ops/doctor/index.js';
import { color, statusWord, table } from '../output.js';

export default class Doctor extends ChatctlCommand<typeof Doctor, DoctorResult> {
  static override summary = 'Check this machine (and, with --target aws, the account) before you start.';
  static override description =
    "Node's and Java's versions, the ports sandbox up will use, a stale sandbox.json, a leftover DynamoDB Local, " +
    'the cores and memory the sandbox needs; with --target aws also the credentials, the default region, the CDK ' +
    "bootstrap of every region and each region's Lambda concurrency. Each problem comes with its fix. Exit code 0 " +
    'when nothing failed (warnings allowed), 1 otherwise.';
  static override examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --json',
    '<%= config.bin %> doctor --target aws',
  ];

  protected async execute(): Promise<DoctorResult> {
    const { runDoctor } = await import('../ops/doctor/index.js');
    return runDoctor(await this.topology());
  }

  protected override exitCodeFor(result: DoctorResult): number {
    return result.ok ? EXIT.ok : EXIT.failed;
  }

  protected override render(result: DoctorResult): void {
    this.log(
      table([
        ['CHECK', 'STATUS', 'DETAIL'],
        ...result.checks.map((c) => [c.title, statusWord(c.status), c.detail]),
      ]),
    );
    const fixes = result.checks.filter((c) => c.fix);
    if (fixes.length > 0) {
      this.log('');
      for (const c of fixes) this.log(`${statusWord(c.status, c.title)}: ${c.fix}`);
    }
    this.log(
      color.dim(
        result.ok
          ? '\nready: nothing failed'
          : `\n${result.checks.filter((c) => c.status === 'fail').length} check(s) failed`,
      ),
    );
  }
}
