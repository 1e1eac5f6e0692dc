import { Flags } from '@oclif/core';
import { ChatctlCommand } from '../../base.js';
import { regionInput } from '../../flags.js';
import { formatEnv, type SandboxEnvResult, sandboxEnv } from '../../ops/sandbox/env.js';

export default class SandboxEnv extends ChatctlCommand<typeof SandboxEnv, SandboxEnvResult> {
  static override sandboxOnly = true;
  static override summary = 'Print the export lines that point any AWS tool at the running sandbox.';
  static override description =
    'AWS_ENDPOINT_URL (the edge), AWS_REGION and AWS_DEFAULT_REGION (the region given, default the home ' +
    'region), and test keys (the sandbox accepts any). Route 53 and CloudFront clients need a region set too; ' +
    'any works. Evaluate it in your shell: eval "$(chatctl sandbox env)".';
  static override examples = [
    'eval "$(<%= config.bin %> sandbox env)" && aws dynamodb list-tables',
    'eval "$(<%= config.bin %> sandbox env --region tokyo)"',
    '<%= config.bin %> sandbox env --shell fish | source',
    '<%= config.bin %> sandbox env --json',
  ];
  static override flags = {
    region: regionInput(
      Flags.string({
        description: 'region key whose AWS region the tools use (default: the home region)',
      }),
    ),
    shell: Flags.option({
      options: ['sh', 'fish', 'powershell'] as const,
      default: 'sh' as const,
      description: 'the syntax of the lines: sh (bash, zsh), fish or powershell',
    })(),
  };

  protected async execute(): Promise<SandboxEnvResult> {
    const { requireSandboxState } = await import('../../../sandbox/state.js');
    const state = await requireSandboxState();
    return sandboxEnv(await this.topology(), state, this.flags.region);
  }

  protected override render(result: SandboxEnvResult): void {
    // Written as is, not through this.log: these are lines for a shell to evaluate.
    process.stdout.write(`${formatEnv(result.variables, this.flags.shell)}\n`);
  }
}
