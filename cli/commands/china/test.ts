import { Flags } from '@oclif/core';
import { ChatctlCommand } from '../../base.js';
import { durationFlag } from '../../flags.js';
import type { ChinaTestResult } from '../../ops/checks/china.js';
import { formatMs } from '../../output.js';

export default class ChinaTest extends ChatctlCommand<typeof ChinaTest, ChinaTestResult> {
  static override summary = 'Chat through the China proxy and report its latency.';
  static override description =
    'Pings through the proxy, then a user through the proxy and a user connected directly to the origin region ' +
    'join one room and send a message each way.';
  static override examples = [
    '<%= config.bin %> china test',
    '<%= config.bin %> china test --pings 20 --json',
  ];
  static override flags = {
    pings: Flags.integer({ description: 'pings through the proxy', default: 5, min: 1, max: 1000 }),
    timeout: durationFlag({ description: 'time limit of each wait', default: 5000, min: 100 }),
  };

  protected async execute(): Promise<ChinaTestResult> {
    const { openTarget } = await import('../../ops/target.js');
    const { chinaTest } = await import('../../ops/checks/china.js');
    return chinaTest(await openTarget(await this.topology()), {
      pings: this.flags.pings,
      timeoutMs: this.flags.timeout,
    });
  }

  protected override render(r: ChinaTestResult): void {
    this.log(`proxy ${r.url}, answered by ${r.answeredBy}`);
    this.log(
      `ping through the proxy: p50 ${formatMs(r.pingP50Ms)}, max ${formatMs(r.pingMaxMs)} (${r.pings} pings)`,
    );
    this.log(
      `chat in ${r.chat.roomId}: proxy -> direct ${formatMs(r.chat.aToBMs)}, direct -> proxy ${formatMs(r.chat.bToAMs)}`,
    );
  }
}
