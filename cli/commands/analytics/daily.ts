import { Flags } from '@oclif/core';
import { ChatctlCommand } from '../../base.js';
import type { DailyReport } from '../../ops/analytics/index.js';

export default class AnalyticsDaily extends ChatctlCommand<typeof AnalyticsDaily, DailyReport> {
  static override summary = "Run the daily statistics job now: every shipped query over one day's events.";
  static override description =
    "The seed's daily statistics job, on demand: every shipped query over one UTC day, " +
    "with DuckDB on the sandbox, with Athena on AWS. Each query's rows are written to " +
    '.chatctl/analytics/daily/day=<day>/<query>.json, where capacity --from-analytics reads them. ' +
    '(On AWS the stacks also run it every night after midnight UTC, keeping CSVs under daily/ in the analytics bucket.)';
  static override examples = [
    '<%= config.bin %> analytics daily',
    '<%= config.bin %> analytics daily --day 2026-12-06 --json',
  ];
  static override flags = {
    day: Flags.string({ description: 'the UTC day, YYYY-MM-DD (default: yesterday)' }),
    today: Flags.boolean({ description: 'the UTC day now running (what the sandbox has seen so far)' }),
  };

  protected async execute(): Promise<DailyReport> {
    const { runDaily, yesterday } = await import('../../ops/analytics/index.js');
    const day = this.flags.day ?? (this.flags.today ? new Date().toISOString().slice(0, 10) : yesterday());
    return runDaily(await this.topology(), day);
  }

  protected override render(report: DailyReport): void {
    this.log(`Daily statistics for ${report.day} (${report.engine}), written to ${report.dir}:`);
    for (const query of report.queries) {
      this.log(`  ${query.name.padEnd(28)} ${query.rows.length} row${query.rows.length === 1 ? '' : 's'}`);
    }
  }
}
