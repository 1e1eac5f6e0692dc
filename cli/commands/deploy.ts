import { Flags } from '@oclif/core';
import { ChatctlCommand } from '../base.js';
import type { DeployOutcome } from '../ops/deploy/index.js';
import { color } from '../output.js';

export default class Deploy extends ChatctlCommand<typeof Deploy, DeployOutcome> {
  static override summary = 'Deploy the stacks to AWS: global data, the regions, then the China proxy.';
  static override description =
    'Uses the standard AWS credential chain (AWS_PROFILE, SSO, environment) and fails at once when there are no ' +
    'credentials. Asks before IAM changes or deletions unless --yes. Auth mode "dev" needs CHATCTL_DEV_TOKEN_SECRET.';
  static override examples = [
    '<%= config.bin %> deploy --target aws',
    '<%= config.bin %> deploy --region tokyo --yes',
  ];
  static override flags = {
    region: Flags.string({ description: 'deploy only what this region needs (global data and its stack)' }),
    yes: Flags.boolean({ description: 'do not ask before IAM changes or deletions' }),
  };

  protected async execute(): Promise<DeployOutcome> {
    const [{ deployPlan }, { deployStacks }] = await Promise.all([
      import('../ops/deploy/plan.js'),
      import('../ops/deploy/deploy.js'),
    ]);
    const topology = await this.topology();
    const plan = deployPlan(topology, { region: this.flags.region });
    return deployStacks(topology, plan, { yes: this.flags.yes, quiet: this.jsonEnabled() });
  }

  protected override exitCodeFor(result: DeployOutcome): number {
    return result.applied ? 0 : 1;
  }

  protected override render(result: DeployOutcome): void {
    this.log(`${result.applied ? color.green('deployed') : color.yellow('not deployed')}: ${result.detail}`);
    for (const name of result.deployed) this.log(`  ${name}`);
  }
}
