import { Flags } from '@oclif/core';
import { ChatctlCommand } from '../../base.js';
import { durationFlag, regionInput } from '../../flags.js';
import type { RelayTestResult } from '../../ops/checks/relay-test.js';
import { exitCodeOf } from '../../ops/checks/verdict.js';
import { color, formatMs, statusWord, table } from '../../output.js';

export default class RelayTest extends ChatctlCommand<typeof RelayTest, RelayTestResult> {
  static override summary =
    'Send messages between two regions through the relay; latency, loss and duplicates.';
  static override description =
    'Opens probe clients in a fresh room, a sender and a listener in each region, sends --messages each way, ' +
    'and reports delivery latency (p50/p99) through the relay next to the same-region baseline measured in the ' +
    'same run, with any message lost or duplicated. Exit 0 when nothing is lost, 1 on loss or duplicates, ' +
    '2 when a region cannot be reached.';
  static override examples = [
    '<%= config.bin %> relay test --from seoul --to na',
    '<%= config.bin %> relay test --from seoul --to tokyo --messages 100 --json',
  ];
  static override flags = {
    from: regionInput(Flags.string({ description: 'region key of the first client', required: true })),
    to: regionInput(Flags.string({ description: 'region key of the second client', required: true })),
    messages: Flags.integer({ description: 'messages each way', default: 20, min: 1, max: 1000 }),
    timeout: durationFlag({ description: 'connect and delivery time limit', default: 10_000, min: 100 }),
  };

  protected async execute(): Promise<RelayTestResult> {
    const [{ openTarget }, { relayTest }] = await Promise.all([
      import('../../ops/target.js'),
      import('../../ops/checks/relay-test.js'),
    ]);
    const target = await openTarget(await this.topology());
    return relayTest(target, {
      from: this.flags.from,
      to: this.flags.to,
      messages: this.flags.messages,
      timeoutMs: this.flags.timeout,
    });
  }

  protected override render(result: RelayTestResult): void {
    this.log(color.dim(`room ${result.roomId}, ${result.messages} message(s) each way`));
    this.log(
      table([
        ['PATH', 'KIND', 'RECEIVED', 'LOST', 'DUPLICATES', 'P50', 'P99'],
        ...result.deliveries.map((d) => [
          `${d.from} -> ${d.to}`,
          d.kind,
          `${d.received}/${d.sent}`,
          statusWord(d.lost ? 'fail' : 'ok', String(d.lost)),
          statusWord(d.duplicates ? 'fail' : 'ok', String(d.duplicates)),
          formatMs(d.p50Ms),
          formatMs(d.p99Ms),
        ]),
      ]),
    );
    const verdictColor = { healthy: color.green, degraded: color.yellow, critical: color.red }[
      result.verdict
    ];
    this.log(
      `\n${verdictColor.bold(result.verdict.toUpperCase())} in ${formatMs(result.elapsedMs)} ` +
        color.dim(`(warm-up ${formatMs(result.warmupMs)}: presence replicating before the first relay)`),
    );
    for (const p of result.problems) {
      this.log(`  ${statusWord(p.status, 'x')} ${p.scope}: ${p.check}: ${p.message}`);
      this.log(`    ${color.dim('->')} ${p.action}`);
    }
  }

  protected override exitCodeFor(result: RelayTestResult): number {
    return exitCodeOf(result.verdict);
  }
}
