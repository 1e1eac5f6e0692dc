/**
 * Athena: one query run to its end (StartQueryExecution in the stacks' workgroup and Glue database, polled
 * with GetQueryExecution, every page of GetQueryResults). Its first row is the header, as Athena answers it.
 */
import type { AthenaClient } from '@aws-sdk/client-athena';
import { UserError } from '../../../core/errors.js';
import { jsonValue, type QueryResult } from '../analytics/result.js';

export interface AthenaQuery {
  readonly sql: string;
  readonly database: string;
  readonly workgroup: string;
  readonly pollMs?: number;
  readonly timeoutMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function athenaQuery(client: AthenaClient, query: AthenaQuery): Promise<QueryResult> {
  const { StartQueryExecutionCommand, GetQueryExecutionCommand, GetQueryResultsCommand } = await import(
    '@aws-sdk/client-athena'
  );
  const started = await client.send(
    new StartQueryExecutionCommand({
      QueryString: query.sql,
      QueryExecutionContext: { Database: query.database },
      WorkGroup: query.workgroup,
    }),
  );
  const queryId = started.QueryExecutionId;
  if (!queryId) throw new Error('Athena started no query (no QueryExecutionId)');
  const deadline = Date.now() + (query.timeoutMs ?? 10 * 60_000);
  for (;;) {
    const { QueryExecution } = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: queryId }));
    const state = QueryExecution?.Status?.State;
    if (state === 'SUCCEEDED') break;
    if (state === 'FAILED' || state === 'CANCELLED') {
      throw new UserError(
        `the Athena query ${queryId} ${state.toLowerCase()}: ${QueryExecution?.Status?.StateChangeReason ?? 'no reason given'}`,
        { hint: `the workgroup is ${query.workgroup}, the database ${query.database}` },
      );
    }
    if (Date.now() > deadline) {
      throw new UserError(`the Athena query ${queryId} did not finish in time (still ${state})`, {
        hint: 'it goes on running in Athena; see it in the console, or narrow the query to fewer partitions',
      });
    }
    await sleep(query.pollMs ?? 500);
  }
  let columns: { name: string; type: string }[] = [];
  const rows: QueryResult['rows'][number][] = [];
  let next: string | undefined;
  let first = true;
  do {
    const page = await client.send(
      new GetQueryResultsCommand({ QueryExecutionId: queryId, NextToken: next }),
    );
    if (first) {
      columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => ({
        name: c.Name ?? '',
        type: (c.Type ?? 'varchar').toLowerCase(),
      }));
    }
    const data = page.ResultSet?.Rows ?? [];
    // The first row of the first page is the header (for a SELECT).
    for (const [i, row] of data.entries()) {
      if (first && i === 0) continue;
      rows.push(
        (row.Data ?? []).map((d, c) => jsonValue(d.VarCharValue ?? null, columns[c]?.type ?? 'varchar')),
      );
    }
    first = false;
    next = page.NextToken;
  } while (next);
  return { engine: 'athena', columns, rows, queryId };
}
