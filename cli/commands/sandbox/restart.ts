import type { SandboxUpResult } from '../../ops/sandbox/lifecycle.js';
import SandboxUp from './up.js';

/** `sandbox down` then `sandbox up`, with up's flags: the way to run another topology, or to start afresh. */
export default class SandboxRestart extends SandboxUp {
  static override summary =
    "Restart this machine's sandbox: sandbox down, then sandbox up (with up's flags).";
  static override description =
    'Without a chatctl.json here it comes back with the topology it ran; with one, with that file. In the foreground until Ctrl-C unless --detach, as up.';
  static override aliases = [];
  static override examples = ['<%= config.bin %> sandbox restart --detach'];

  protected override async execute(): Promise<SandboxUpResult> {
    // The topology first: without a chatctl.json it is the running sandbox's, read before it stops.
    const topology = await this.topology();
    const origin = this.origin();
    const { sandboxDown } = await import('../../ops/sandbox/lifecycle.js');
    const down = await sandboxDown();
    if (!this.jsonEnabled()) this.log(down.detail);
    return this.up(topology, origin);
  }
}
