/**
 * The local engine: DuckDB over the sandbox's analytics folder (the local bucket the sandbox's pipeline writes,
 * sandbox/services/analytics/), with a view named `events` that has the Glue table's columns and partitions, so
 * the SQL that runs on Athena runs here. DuckDB is loaded only when a query runs (CLI start-up stays fast).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ANALYTICS_COLUMNS,
  ANALYTICS_PARTITIONS,
  ANALYTICS_TABLE,
  type AnalyticsColumn,
} from '../../../core/analytics.js';
import { UserError } from '../../../core/errors.js';
import { jsonValue, type QueryResult } from './result.js';

const DUCK_TYPES: Record<AnalyticsColumn['type'], string> = {
  string: 'VARCHAR',
  bigint: 'BIGINT',
  boolean: 'BOOLEAN',
  'map<string,array<string>>': 'MAP(VARCHAR, VARCHAR[])',
};

const quoteText = (text: string) => `'${text.replaceAll("'", "''")}'`;
const quoteName = (name: string) => `"${name.replaceAll('"', '""')}"`;

async function hasObjects(dir: string): Promise<boolean> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.some((entry) => entry.endsWith('.gz') && !entry.split('/').pop()?.startsWith('.'));
}

/** The view's SQL: the JSON keys the flattener writes, named as Glue's columns; no objects yet: no rows. */
export async function eventsViewSql(dir: string): Promise<string> {
  const eventsDir = join(dir, 'events');
  if (!(await hasObjects(eventsDir))) {
    const columns = [
      ...ANALYTICS_COLUMNS.map((c) => `CAST(NULL AS ${DUCK_TYPES[c.type]}) AS ${c.name}`),
      ...ANALYTICS_PARTITIONS.map((p) => `CAST(NULL AS VARCHAR) AS ${p}`),
    ];
    return `CREATE VIEW ${ANALYTICS_TABLE} AS SELECT ${columns.join(', ')} WHERE false`;
  }
  const struct = ANALYTICS_COLUMNS.map((c) => `${quoteText(c.key)}: ${quoteText(DUCK_TYPES[c.type])}`);
  const glob = join(eventsDir, 'year=*', 'month=*', 'day=*', 'hour=*', '*.gz');
  const select = [
    ...ANALYTICS_COLUMNS.map((c) => `${quoteName(c.key)} AS ${c.name}`),
    ...ANALYTICS_PARTITIONS,
  ];
  return `CREATE VIEW ${ANALYTICS_TABLE} AS SELECT ${select.join(', ')} FROM read_json(${quoteText(glob)},
    format = 'newline_delimited', compression = 'gzip', hive_partitioning = true,
    hive_types_autocast = false, columns = {${struct.join(', ')}})`;
}

/** Runs each SQL over the folder's objects with one in-memory DuckDB. */
export async function duckdbQueries(dir: string, sqls: readonly string[]): Promise<QueryResult[]> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(await eventsViewSql(dir));
    const out: QueryResult[] = [];
    for (const sql of sqls) {
      let reader: Awaited<ReturnType<typeof connection.runAndReadAll>>;
      try {
        reader = await connection.runAndReadAll(sql);
      } catch (error) {
        throw new UserError(`the query failed: ${(error as Error).message}`, {
          hint: `query the table ${ANALYTICS_TABLE} (columns: ${ANALYTICS_COLUMNS.map((c) => c.name).join(', ')}, ${ANALYTICS_PARTITIONS.join(', ')})`,
        });
      }
      const names = reader.columnNames();
      const types = reader.columnTypes().map((t) => t.toString().toLowerCase());
      const rows = reader.getRows().map((row) => row.map((value, i) => jsonValue(plain(value), types[i])));
      out.push({ engine: 'duckdb', columns: names.map((name, i) => ({ name, type: types[i] })), rows });
    }
    return out;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** DuckDB's values as plain JS (its own classes for lists, maps and decimals print as text). */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value && typeof value === 'object' && 'toString' in value && !Array.isArray(value)) {
    return String(value);
  }
  return value;
}
