import { ChatctlCommand } from '../../base.js';
import type { ChinaStatus } from '../../ops/checks/china.js';
import { color, statusWord } from '../../output.js';

export default class ChinaStatusCommand extends ChatctlCommand<typeof ChinaStatusCommand, ChinaStatus> {
  static override summary =
    "Show the China proxy: the distribution's status, domain, origin and the region it reaches now.";
  static override description =
    'The origin is the global name chat.<domain> (CloudFront reaches the region latency DNS gives its edge, so a ' +
    'drain moves China users too) or a pinned region. "serving" is the region that answers a ping through the proxy.';
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
    if (r.followsDns) this.log(`origin        ${r.originDomain} (follows latency DNS)`);
    else this.log(`origin        ${r.origin ?? '?'} (pinned: ${r.originDomain ?? 'no origin'})`);
    this.log(`serving       ${r.servedBy ?? color.yellow(`unknown: ${r.servedByProblem ?? 'no answer'}`)}`);
    if (r.failoverOrigins.length > 0) this.log(`failover      ${r.failoverOrigins.join(', ')}`);
    const deployed = r.followsDns ? undefined : (r.origin ?? r.originDomain);
    if (deployed !== r.configuredOrigin) {
      const says = r.configuredOrigin ? `pins ${r.configuredOrigin}` : 'leaves the origin to DNS';
      this.log(color.yellow(`chatctl.json ${says}; a deploy would change the origin back`));
    }
  }
}
