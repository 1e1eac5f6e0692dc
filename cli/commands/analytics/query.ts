import { Args, Flags } from '@oclif/core';
import { NAMED_QUERIES } from '../../../core/analytics.js';
import { ChatctlCommand } from '../../base.js';
import { formatResult, type QueryResult } from '../../ops/analytics/result.js';

export default class AnalyticsQuery extends ChatctlCommand<typeof AnalyticsQuery, QueryResult> {
  static override summary = 'Query the chat analytics (table events) with DuckDB locally, or Athena on AWS.';
  static override description =
    "The same SQL and table on both: the sandbox's pipeline writes the stream's flattened rows, GZIP'd, under " +
    "events/year=/month=/day=/hour=/ in .chatctl/analytics/ (DuckDB reads them), the stacks' Firehose into S3 " +
    '(Athena reads them through the Glue table, in the workgroup <app>-chat-analytics). The table is events; its columns are ' +
    "the Glue table's (docs/analytics.md). --named runs a shipped query: " +
    `${NAMED_QUERIES.map((q) => q.name).join(', ')}.`;
  static override examples = [
    `<%= config.bin %> analytics query "SELECT count(*) AS n FROM events WHERE roomid = 'lobby' AND type = 'message'"`,
    '<%= config.bin %> analytics query --named cross-region-share --json',
    '<%= config.bin %> analytics query --named messages-per-room-per-hour --target aws',
  ];
  static override args = { sql: Args.string({ description: 'the SQL (table events)' }) };
  static override flags = {
    named: Flags.string({
      description: 'run a shipped query instead of SQL',
      options: NAMED_QUERIES.map((q) => q.name),
    }),
  };

  protected async execute(): Promise<QueryResult> {
    const { querySql, runQueries } = await import('../../ops/analytics/index.js');
    const sql = querySql(this.args.sql, this.flags.named);
    const [result] = await runQueries(await this.topology(), [sql]);
    return result;
  }

  protected override render(result: QueryResult): void {
    this.log(formatResult(result));
  }
}
