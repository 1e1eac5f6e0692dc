import { ChatctlCommand } from '../../base.js';
import type { ChinaStatus } from '../../ops/checks/china.js';
import { color, statusWord } from '../../output.js';

export default class ChinaStatusCommand extends ChatctlCommand<typeof ChinaStatusCommand, ChinaStatus> {
  static override summary = "Show the China proxy: the distribution's status, domain and origin region.";
  static override examples = ['<%= config.bin %> china status', '<%= config.bin %> china status --json'];

  protected async execute(): Promise<ChinaStatus> {
    const { openTarget } = await import('../../ops/target.js');
    const { chinaStatus } = await import('../../ops/checks/china.js');
    return chinaStatus(await openTarget(await this.topology()));
  }

  protected override render(r: ChinaStatus): void {
    this.log(
      `distribution  ${r.distributionId} (${statusWord(r.status === 'Deployed' ? 'ok' : 'warn', r.status)}${r.enabled ? '' : ', disabled'})`,
    );
    this.log(`domain        ${r.domainName}`);
    this.log(`url           ${r.url}`);
    this.log(`origin        ${r.origin ?? '?'} (${r.originDomain ?? 'no origin'})`);
    if (r.failoverOrigins.length > 0) this.log(`failover      ${r.failoverOrigins.join(', ')}`);
    if (r.origin !== r.configuredOrigin) {
      this.log(
        color.yellow(`chatctl.json says the origin is ${r.configuredOrigin}; a deploy would move it back`),
      );
    }
  }
}
