import { Args, Flags } from '@oclif/core';
import { UserError } from '../../../core/errors.js';
import { isCidr, type RegionSpec, regionKeyProblem } from '../../../core/topology.js';
import { ChatctlCommand, EXIT } from '../../base.js';
import { type ProvisionOutcome, provisionRegion } from '../../ops/provision.js';
import { addRegion } from '../../ops/regions.js';
import { color } from '../../output.js';

interface RegionAddResult {
  added: RegionSpec;
  regions: string[];
  provisioning: ProvisionOutcome;
}

export default class RegionAdd extends ChatctlCommand<typeof RegionAdd, RegionAddResult> {
  static override summary =
    'Add a region to the topology, and bring it up in the running sandbox or deploy it to AWS.';
  static override examples = [
    '<%= config.bin %> region add sydney --aws-region ap-southeast-2',
    '<%= config.bin %> region add paris --aws-region eu-west-3 --probe-subnet 90.0.0.0/24 --no-deploy',
  ];
  static override args = {
    key: Args.string({
      description: 'region key: 2-12 lowercase letters or digits, starting with a letter',
      required: true,
    }),
  };
  static override flags = {
    'aws-region': Flags.string({ description: 'AWS region code, e.g. ap-southeast-2', required: true }),
    'probe-subnet': Flags.string({
      description: "a client subnet (CIDR) that stands for this region's users",
    }),
    deploy: Flags.boolean({
      description: 'provision the region (sandbox: start it in the running sandbox; aws: synth and deploy)',
      default: true,
      allowNo: true,
    }),
    yes: Flags.boolean({ description: 'with target aws: deploy without asking for confirmation' }),
  };

  protected async execute(): Promise<RegionAddResult> {
    this.checkArguments();
    const { topology, region } = await addRegion(this.topologyPath, {
      key: this.args.key,
      awsRegion: this.flags['aws-region'],
      probeSubnet: this.flags['probe-subnet'],
    });
    const effective = this.flags.target ? { ...topology, target: this.flags.target } : topology;
    const provisioning = this.flags.deploy
      ? await provisionRegion(effective, region.key, { yes: this.flags.yes, quiet: this.jsonEnabled() })
      : { applied: false, detail: 'skipped (--no-deploy)' };
    return { added: region, regions: topology.regions.map((r) => r.key), provisioning };
  }

  /** A bad key or subnet is the argument's mistake: said as such (exit 2), before chatctl.json is read. */
  private checkArguments(): void {
    const { key } = this.args;
    const problem = regionKeyProblem(key);
    if (problem) {
      const fixed = key
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '')
        .slice(0, 12);
      throw new UserError(`"${key}" is not a region key: ${problem}`, {
        hint: regionKeyProblem(fixed)
          ? 'pick a key such as sydney or apse2'
          : `try: chatctl region add ${fixed} --aws-region ${this.flags['aws-region']}`,
        exitCode: EXIT.usage,
      });
    }
    const subnet = this.flags['probe-subnet'];
    if (subnet !== undefined && !isCidr(subnet)) {
      throw new UserError(`--probe-subnet "${subnet}" is not a client subnet in CIDR form`, {
        hint: "e.g. --probe-subnet 203.0.113.0/24 (a /8 to /32 of that region's users)",
        exitCode: EXIT.usage,
      });
    }
  }

  protected override render(result: RegionAddResult): void {
    this.log(
      `${color.green('added')} ${result.added.key} (${result.added.awsRegion}, probe subnet ${result.added.probeSubnet}) to chatctl.json`,
    );
    this.log(`regions now: ${result.regions.join(', ')}`);
    this.log(
      `${result.provisioning.applied ? color.green('applied') : color.dim('not applied')}: ${result.provisioning.detail}`,
    );
  }
}
