/**
 * `chatctl analytics query` and `analytics daily` (docs/analytics.md): the same SQL, the same table `events`,
 * on the sandbox's local bucket with DuckDB or on AWS with Athena (the stacks' workgroup and Glue database).
 */
import { join } from 'node:path';
import { findNamedQuery, NAMED_QUERIES, namedQuerySql } from '../../../core/analytics.js';
import { UserError } from '../../../core/errors.js';
import { names } from '../../../core/names.js';
import { findRegion, type Topology, writeFileAtomic } from '../../../core/topology.js';
import { stateDir } from '../../../sandbox/state.js';
import type { QueryResult, QueryValue } from './result.js';
import { rowObjects } from './result.js';

/** The sandbox's local bucket (sandbox/services/analytics writes it, beside sandbox.json). */
export const localAnalyticsDir = () => join(stateDir(), 'analytics');

/** Runs each SQL where the topology's target is. */
export async function runQueries(topology: Topology, sqls: readonly string[]): Promise<QueryResult[]> {
  if (topology.target === 'sandbox') {
    const { duckdbQueries } = await import('./duckdb.js');
    return duckdbQueries(localAnalyticsDir(), sqls);
  }
  if (!topology.analytics.enabled) {
    throw new UserError('analytics is not deployed: analytics.enabled is false in chatctl.json', {
      hint: 'set analytics.enabled to true and run: chatctl deploy',
    });
  }
  const [{ athenaClient, withClient }, { awsTarget }, { athenaQuery }] = await Promise.all([
    import('../aws/clients.js'),
    import('../target.js'),
    import('../aws/athena.js'),
  ]);
  const awsRegion = findRegion(topology, topology.homeRegion).awsRegion;
  return withClient(athenaClient(awsTarget(topology), awsRegion), async (client) => {
    const out: QueryResult[] = [];
    for (const sql of sqls) {
      out.push(
        await athenaQuery(client, {
          sql,
          database: names.analyticsDatabase(topology),
          workgroup: names.athenaWorkgroup(topology),
        }),
      );
    }
    return out;
  });
}

/** The SQL of `query`: the text given, or a named query's (over every row). */
export function querySql(sql: string | undefined, named: string | undefined): string {
  if (named) {
    const query = findNamedQuery(named);
    if (!query) {
      throw new UserError(`no named query "${named}"`, {
        hint: `one of: ${NAMED_QUERIES.map((q) => q.name).join(', ')}`,
      });
    }
    return namedQuerySql(query);
  }
  if (!sql?.trim()) {
    throw new UserError('give the SQL to run, or --named NAME', {
      hint: `e.g. chatctl analytics query "SELECT count(*) AS n FROM events WHERE type = 'message'"`,
    });
  }
  return sql;
}

export interface DailyReport {
  readonly day: string;
  readonly engine: QueryResult['engine'];
  /** Where the results were written: `<folder>/<query>.json`. */
  readonly dir: string;
  readonly queries: readonly { name: string; rows: readonly Record<string, QueryValue>[] }[];
}

/** The UTC day before `now` (the daily job runs after midnight on the day that ended). */
export function yesterday(now = new Date()): string {
  return new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
}

/**
 * The daily job on demand: every named query over one UTC day's partitions, each written (atomically) as
 * `<state folder>/analytics/daily/day=<day>/<query>.json`, where `capacity --from-analytics` reads them.
 */
export async function runDaily(topology: Topology, day: string, dir?: string): Promise<DailyReport> {
  const sqls = NAMED_QUERIES.map((query) => namedQuerySql(query, day));
  const results = await runQueries(topology, sqls);
  const out = dir ?? join(localAnalyticsDir(), 'daily', `day=${day}`);
  const { mkdir } = await import('node:fs/promises');
  await mkdir(out, { recursive: true });
  const queries = NAMED_QUERIES.map((query, i) => ({ name: query.name, rows: rowObjects(results[i]) }));
  for (const query of queries) {
    const body = { day, query: query.name, engine: results[0].engine, rows: query.rows };
    await writeFileAtomic(join(out, `${query.name}.json`), `${JSON.stringify(body, null, 2)}\n`);
  }
  return { day, engine: results[0]?.engine ?? 'duckdb', dir: out, queries };
}
