import { ChatctlCommand } from '../../base.js';
import type { SandboxDownResult } from '../../ops/sandbox/lifecycle.js';

export default class SandboxDown extends ChatctlCommand<typeof SandboxDown, SandboxDownResult> {
  static override sandboxOnly = true;
  static override summary = "Stop this machine's sandbox (DynamoDB Local included), from any folder.";
  static override aliases = ['sandbox:stop'];
  static override examples = ['<%= config.bin %> sandbox down'];

  protected async execute(): Promise<SandboxDownResult> {
    const { sandboxDown } = await import('../../ops/sandbox/lifecycle.js');
    return sandboxDown();
  }

  protected override render(result: SandboxDownResult): void {
    this.log(result.detail);
  }
}
