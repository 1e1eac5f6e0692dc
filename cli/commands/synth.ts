import { Flags } from '@oclif/core';
import { ChatctlCommand } from '../base.js';
import type { SynthSummary } from '../ops/deploy/synth.js';
import { color, formatMs, table } from '../output.js';

export default class Synth extends ChatctlCommand<typeof Synth, SynthSummary> {
  static override summary =
    'Synthesize every stack of the topology (offline, no credentials) and check it with cdk-nag.';
  static override description =
    'Builds the CDK app from chatctl.json with @aws-cdk/toolkit-lib: no network, no AWS credentials. Prints the ' +
    'stacks, their resources per type, and any cdk-nag AwsSolutions finding that is not acknowledged (exit 1 if any). ' +
    'Handlers are bundled from runtime/handlers with esbuild; --no-bundle uses placeholder code to check the ' +
    'infrastructure only.';
  static override examples = [
    '<%= config.bin %> synth',
    '<%= config.bin %> synth --no-bundle --json',
    '<%= config.bin %> synth --out /tmp/chat.out',
  ];
  static override flags = {
    out: Flags.string({ description: 'output folder of the cloud assembly', default: 'cdk.out' }),
    bundle: Flags.boolean({
      description: 'bundle the Lambda handlers with esbuild (--no-bundle: placeholder code)',
      default: true,
      allowNo: true,
    }),
  };

  protected async execute(): Promise<SynthSummary> {
    const { synthesize } = await import('../ops/deploy/synth.js');
    const topology = await this.topology();
    return synthesize(topology, {
      outDir: this.flags.out,
      bundle: this.flags.bundle,
      onMessage: (text) => process.stderr.write(`${color.yellow(text)}\n`),
    });
  }

  protected override exitCodeFor(result: SynthSummary): number {
    return result.findings.length > 0 ? 1 : 0;
  }

  protected override render(result: SynthSummary): void {
    this.log(
      table([
        ['STACK', 'REGION', 'RESOURCES', 'BY TYPE'],
        ...result.stacks.map((s) => [
          s.stackName,
          s.awsRegion,
          String(s.resourceCount),
          Object.entries(s.resources)
            .sort(([, a], [, b]) => b - a)
            .map(([type, n]) => `${type.replace(/^AWS::/, '')} ${n}`)
            .join(', '),
        ]),
      ]),
    );
    this.log('');
    if (result.findings.length === 0) {
      this.log(`${color.green('cdk-nag AwsSolutions:')} no unacknowledged findings`);
    } else {
      this.log(color.red(`cdk-nag AwsSolutions: ${result.findings.length} unacknowledged finding(s)`));
      for (const finding of result.findings) {
        this.log(`  ${finding.rule} (${finding.severity}): ${finding.description}`);
        for (const path of finding.constructPaths.slice(0, 5)) this.log(color.dim(`    ${path}`));
        if (finding.constructPaths.length > 5)
          this.log(color.dim(`    ... and ${finding.constructPaths.length - 5} more`));
      }
    }
    this.log(
      color.dim(
        `cloud assembly in ${result.outDir} (${result.bundled ? 'handlers bundled' : 'placeholder code, not deployable'}), ${formatMs(result.elapsedMs)}`,
      ),
    );
  }
}
