import { Flags } from '@oclif/core';
import { ChatctlCommand } from '../../base.js';
import { durationFlag } from '../../flags.js';
import type { ReplicationResult } from '../../ops/checks/replication.js';
import { exitCodeOf } from '../../ops/checks/verdict.js';
import { color, formatMs, statusWord, table } from '../../output.js';

export default class ReplicationCheck extends ChatctlCommand<typeof ReplicationCheck, ReplicationResult> {
  static override summary =
    'Measure Global Table replication lag between every pair of regions, and verify a room.';
  static override description =
    'Writes a canary item (it expires by TTL and never shows in chat) in each region and polls the others until ' +
    'it appears: a lag matrix with p50 and max over --samples rounds; a pair over the threshold ' +
    '(replication.lagThresholdMs) or timing out is flagged. --verify ROOM compares the room across all replicas ' +
    '(item count, content hash) and lists the keys that differ. Exit codes as for health.';
  static override examples = [
    '<%= config.bin %> replication check',
    '<%= config.bin %> replication check --samples 10 --json',
    '<%= config.bin %> replication check --verify lobby',
    '<%= config.bin %> replication check --report replication.svg',
  ];
  static override flags = {
    samples: Flags.integer({ description: 'canary rounds', default: 5, min: 1, max: 100 }),
    verify: Flags.string({ description: 'also compare this room across every replica' }),
    timeout: durationFlag({
      description: 'how long a canary may take to replicate',
      min: 100,
      max: 600_000,
    }),
    report: Flags.string({ description: 'write the lag matrix here as an SVG heat map' }),
  };

  protected async execute(): Promise<ReplicationResult> {
    const [{ openTarget }, { checkReplication }] = await Promise.all([
      import('../../ops/target.js'),
      import('../../ops/checks/replication.js'),
    ]);
    const target = await openTarget(await this.topology());
    const result = await checkReplication(target, {
      samples: this.flags.samples,
      verifyRoom: this.flags.verify,
      timeoutMs: this.flags.timeout,
    });
    if (!this.flags.report) return result;
    const { writeReplicationReport } = await import('../../ops/checks/replication-report.js');
    return { ...result, report: await writeReplicationReport(this.flags.report, result) };
  }

  protected override render(result: ReplicationResult): void {
    const keys = result.regions.map((r) => r.key);
    const modelled = result.pairs.some((p) => p.modelMs !== undefined);
    this.log(
      color.dim(
        `lag p50 / max${modelled ? ' (model)' : ''} over ${result.samples} sample(s), source (row) -> destination (column)`,
      ),
    );
    this.log(
      table([
        ['FROM \\ TO', ...keys],
        ...keys.map((from) => [
          from,
          ...keys.map((to) => {
            if (from === to) return color.dim('-');
            const pair = result.pairs.find((p) => p.from === from && p.to === to);
            if (!pair) return color.dim('?');
            if (pair.seen === 0) return statusWord('fail', 'timeout');
            const model = pair.modelMs === undefined ? '' : ` (${formatMs(pair.modelMs)})`;
            return statusWord(pair.status, `${formatMs(pair.p50Ms)} / ${formatMs(pair.maxMs)}${model}`);
          }),
        ]),
      ]),
    );
    this.log('');
    this.log(
      table([
        ['REGION', 'REPLICA', 'DETAIL'],
        ...result.regions.map((r) => [
          r.key,
          statusWord(r.replica.status, r.replica.status),
          `${r.replica.detail}${r.suspect ? color.red('  (replication paused or broken?)') : ''}`,
        ]),
      ]),
    );
    if (result.verify) {
      const v = result.verify;
      this.log(
        `\nroom ${v.roomId}: ${v.consistent ? color.green('identical in every replica') : color.red('replicas differ')}`,
      );
      this.log(
        table([
          ['REGION', 'ITEMS', 'HASH'],
          ...v.replicas.map((r) => [r.region, r.error ? color.red(r.error) : String(r.count), r.hash ?? '-']),
        ]),
      );
      for (const d of v.differing.slice(0, 50)) {
        const parts = [
          d.missingIn.length ? `missing in ${d.missingIn.join(', ')}` : '',
          d.differsIn.length ? `differs in ${d.differsIn.join(', ')}` : '',
        ].filter(Boolean);
        this.log(`  ${d.sk}: ${parts.join('; ')}`);
      }
      if (v.differing.length > 50)
        this.log(color.dim(`  ... and ${v.differing.length - 50} more (see --json)`));
    }
    const verdictColor = { healthy: color.green, degraded: color.yellow, critical: color.red }[
      result.verdict
    ];
    this.log(
      `\n${verdictColor.bold(result.verdict.toUpperCase())} in ${formatMs(result.elapsedMs)} ` +
        color.dim(`(threshold ${result.thresholdMs} ms)`),
    );
    for (const p of result.problems.filter((p) => p.check !== 'verify')) {
      this.log(`  ${statusWord(p.status, p.status === 'fail' ? 'x' : '!')} ${p.scope}: ${p.message}`);
      this.log(`    ${color.dim('->')} ${p.action}`);
    }
    if (result.report) this.log(`  heat map: ${result.report}`);
  }

  protected override exitCodeFor(result: ReplicationResult): number {
    return exitCodeOf(result.verdict);
  }
}
