/** One query result, whichever engine answered it (DuckDB locally, Athena on AWS): the same table and JSON. */
import { table } from '../../output.js';

export interface QueryColumn {
  readonly name: string;
  /** The engine's type name, lowercased (bigint, varchar, double, boolean...). */
  readonly type: string;
}

export type QueryValue = string | number | boolean | null;

export interface QueryResult {
  readonly engine: 'duckdb' | 'athena';
  readonly columns: readonly QueryColumn[];
  readonly rows: readonly (readonly QueryValue[])[];
  /** Athena's query execution id (on AWS). */
  readonly queryId?: string;
}

const NUMERIC =
  /^(tinyint|smallint|integer|int|bigint|hugeint|ubigint|uinteger|double|float|real|decimal.*)$/;

/** A value as JSON carries it: numbers for numeric columns, booleans, else text (null stays null). */
export function jsonValue(value: unknown, type: string): QueryValue {
  if (value === null || value === undefined) return null;
  if (NUMERIC.test(type)) return Number(value);
  if (type === 'boolean') return value === true || value === 'true';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? Number(v) : v));
}

export function formatResult(result: QueryResult): string {
  const show = (v: QueryValue) =>
    v === null ? '' : typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v);
  const header = result.columns.map((c) => c.name.toUpperCase());
  const lines = table([header, ...result.rows.map((row) => row.map(show))]);
  return `${lines}\n(${result.rows.length} row${result.rows.length === 1 ? '' : 's'}, ${result.engine})`;
}

/** Rows as objects by column name (what `analytics daily` writes, and capacity reads). */
export function rowObjects(result: QueryResult): Record<string, QueryValue>[] {
  return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c.name, row[i]])));
}
