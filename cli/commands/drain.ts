import { Args, Flags } from '@oclif/core';
import { ChatctlCommand } from '../base.js';
import { regionInput } from '../flags.js';
import type { DrainResult } from '../ops/routing/drain.js';
import { color, formatMs } from '../output.js';

export default class Drain extends ChatctlCommand<typeof Drain, DrainResult> {
  static override summary =
    'Take a region out of latency routing (invert its Route 53 health check) and verify it.';
  static override description =
    'Refuses when fewer than minHealthyRegions (chatctl.json) would remain healthy, or when the region is the ' +
    "China proxy's only origin. Verifies with TestDNSAnswer from the region's probe subnet that its users now go " +
    'elsewhere. --force overrides the safety rules after the region key is typed back at a terminal.';
  static override examples = ['<%= config.bin %> drain tokyo', '<%= config.bin %> drain tokyo --json'];
  static override args = { key: regionInput(Args.string({ description: 'region key', required: true })) };
  static override flags = {
    force: Flags.boolean({ description: 'override the safety rules (asks for the region key typed back)' }),
    'no-verify': Flags.boolean({ description: 'do not wait for DNS to show the change' }),
  };

  protected async execute(): Promise<DrainResult> {
    const { openTarget } = await import('../ops/target.js');
    const { drainRegion } = await import('../ops/routing/drain.js');
    const target = await openTarget(await this.topology());
    if (this.flags.force) {
      const [{ confirmForce }, { ask }] = await Promise.all([
        import('../ops/routing/safety.js'),
        import('../prompt.js'),
      ]);
      await confirmForce(this.args.key, { isTTY: Boolean(process.stdin.isTTY), ask: (q) => ask(q) });
    }
    return drainRegion(target, this.args.key, { force: this.flags.force, verify: !this.flags['no-verify'] });
  }

  protected override render(result: DrainResult): void {
    renderChange(this, result);
  }
}

export function renderChange(command: { log(message?: string): void }, result: DrainResult): void {
  const verb = result.action === 'drain' ? 'drained' : 'restored';
  if (!result.changed) {
    command.log(
      `${result.region}: already ${verb} (health check ${result.healthCheckId} Inverted=${result.inverted.after}); nothing changed.`,
    );
  } else {
    command.log(
      `${result.region}: ${verb}: health check ${result.healthCheckId} Inverted ${result.inverted.before} -> ${result.inverted.after}`,
    );
  }
  for (const problem of result.overridden)
    command.log(color.yellow(`  overridden by --force: ${problem.message}`));
  if (result.dns && !result.dns.shifted) {
    const why =
      result.action === 'drain'
        ? `it was answered ${result.dns.before ?? 'no region'} before the drain, so DNS shows no shift for ${result.region}`
        : `it was answered ${result.region} already`;
    command.log(
      `DNS from ${result.dns.from}'s subnet: ${result.dns.after ?? 'no region'}, no shift (${why})`,
    );
  } else if (result.dns) {
    command.log(
      `DNS from ${result.dns.from}'s subnet: ${result.dns.before ?? '?'} -> ${color.bold(result.dns.after ?? '?')} ` +
        `(${result.action === 'drain' ? 'time to shift' : 'time to restore'} ${formatMs(result.dns.elapsedMs)})`,
    );
  } else {
    command.log(color.dim('DNS not verified (--no-verify).'));
  }
  if (result.action === 'drain' && result.changed)
    command.log(color.dim(`Put it back: chatctl restore ${result.region}`));
}
