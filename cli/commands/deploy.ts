import { Flags } from '@oclif/core';
import { ChatctlCommand } from '../base.js';
import { regionInput } from '../flags.js';
import type { DeployOutcome } from '../ops/deploy/index.js';
import { formatPlan } from '../ops/deploy/prepare.js';
import { color } from '../output.js';

export default class Deploy extends ChatctlCommand<typeof Deploy, DeployOutcome> {
  static override summary =
    'Deploy the stacks to AWS in dependency order, after preflight checks (--dry-run: the plan and checks only).';
  static override description =
    'Uses the standard AWS credential chain (AWS_PROFILE, SSO, environment) and fails at once when there are no ' +
    'credentials. Before anything is deployed it checks, in every target region, the CDK bootstrap version and ' +
    "the Lambda concurrency quota against the lanes, and reads the Global Table's replicas to apply replica " +
    'changes one table update at a time. Asks before IAM changes or deletions unless --yes. --dry-run prints ' +
    'the ordered plan and the checks, and also runs against the sandbox (--target sandbox).';
  static override examples = [
    '<%= config.bin %> deploy --target aws',
    '<%= config.bin %> deploy --dry-run',
    '<%= config.bin %> deploy --dry-run --target sandbox',
    '<%= config.bin %> deploy --region tokyo --yes',
  ];
  static override flags = {
    region: regionInput(
      Flags.string({
        description: 'deploy only what this region needs (its stack and what it depends on)',
      }),
    ),
    'dry-run': Flags.boolean({
      description: 'print the ordered plan and the preflight checks; deploy nothing',
    }),
    yes: Flags.boolean({ description: 'do not ask before IAM changes or deletions' }),
  };

  protected async execute(): Promise<DeployOutcome> {
    const [{ deployChat }, { confirm }] = await Promise.all([
      import('../ops/deploy/deploy.js'),
      import('../prompt.js'),
    ]);
    const topology = await this.topology();
    return deployChat(topology, {
      region: this.flags.region,
      dryRun: this.flags['dry-run'],
      yes: this.flags.yes,
      quiet: this.jsonEnabled(),
      // Ctrl-C at the question exits 130 with nothing deployed; without a terminal the answer is no.
      confirm: async (question) => (process.stdin.isTTY ? confirm(question) : false),
    });
  }

  protected override exitCodeFor(result: DeployOutcome): number {
    if (result.dryRun) return result.plan.checks.every((c) => c.ok) ? 0 : 1;
    return result.applied ? 0 : 1;
  }

  protected override render(result: DeployOutcome): void {
    if (result.dryRun) for (const line of formatPlan(result.plan)) this.log(line);
    const verdict = result.applied ? color.green('deployed') : color.yellow('not deployed');
    this.log(`${verdict}: ${result.detail}`);
    for (const name of result.deployed) this.log(`  ${name}`);
  }
}
