/**
 * The analytics pipeline's shared model (docs/analytics.md): the Glue table's columns, the S3 layout Firehose
 * writes (the sandbox writes the same one into a local folder), the buffering, and the named queries that run
 * alike on Athena and on DuckDB. The stacks, the sandbox and the CLI all read it here.
 */
import { UserError } from './errors.js';
import type { Topology } from './topology.js';

/** The table every query names, as Glue and the local DuckDB view call it. */
export const ANALYTICS_TABLE = 'events';

/** Where Firehose writes the rows: one folder per hour (Firehose's own timestamp, UTC). */
export const ANALYTICS_PREFIX =
  'events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';
/** Where it writes what it could not deliver (Firehose fills in the error output type). */
export const ANALYTICS_ERROR_PREFIX =
  'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';
/** Where the daily job keeps its results (one folder per day, one file per named query). */
export const DAILY_PREFIX = 'daily/';
/** Where the Athena workgroup writes every query's result (kept 30 days). */
export const ATHENA_RESULTS_PREFIX = 'athena-results/';

/**
 * The minute after midnight (UTC) the stacks' daily job starts: after the buffer interval, so the last rows of the
 * day have reached the bucket, with five minutes to spare (e.g. 00:06 with the default 60 s buffer).
 */
export function dailyJobMinute(topology: Pick<Topology, 'analytics'>): number {
  return Math.ceil(analyticsBuffer(topology).intervalSeconds / 60) + 5;
}

/** The seed's buffers: 128 MiB or 60 s, whichever fills first. */
export const DEFAULT_BUFFER = { intervalSeconds: 60, sizeMiB: 128 } as const;
/** On the sandbox's time scale a few seconds, so a query sees a chat moments after it. */
export const SANDBOX_BUFFER_SECONDS = 3;

/** The buffering of the topology (`analytics.bufferIntervalSeconds`, `analytics.bufferSizeMiB`). */
export function analyticsBuffer(topology: Pick<Topology, 'analytics'>): {
  intervalSeconds: number;
  sizeMiB: number;
} {
  return {
    intervalSeconds: topology.analytics.bufferIntervalSeconds ?? DEFAULT_BUFFER.intervalSeconds,
    sizeMiB: topology.analytics.bufferSizeMiB ?? DEFAULT_BUFFER.sizeMiB,
  };
}

/** A prefix with Firehose's timestamp placeholders filled in for `at` (UTC), and the error type. */
export function expandPrefix(prefix: string, at: Date, errorType = 'processing-failed'): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return prefix
    .replace('!{timestamp:yyyy}', String(at.getUTCFullYear()))
    .replace('!{timestamp:MM}', two(at.getUTCMonth() + 1))
    .replace('!{timestamp:dd}', two(at.getUTCDate()))
    .replace('!{timestamp:HH}', two(at.getUTCHours()))
    .replace('!{firehose:error-output-type}', errorType);
}

export interface AnalyticsColumn {
  /** The Glue column (lowercase: the OpenX JSON SerDe matches JSON keys case-insensitively). */
  readonly name: string;
  /** The JSON key the flattener writes (runtime/analytics/stream.ts: the item's attribute). */
  readonly key: string;
  readonly type: 'string' | 'bigint' | 'boolean' | 'map<string,array<string>>';
  readonly comment?: string;
}

/** The columns of the rows runtime/analytics/stream.ts writes: the item's keys plus its NewImage. */
export const ANALYTICS_COLUMNS: readonly AnalyticsColumn[] = [
  {
    name: 'pk',
    key: 'pk',
    type: 'string',
    comment: 'partition key: ROOM#<roomId>, CONN#<region>#<connectionId>, CONFIG...',
  },
  {
    name: 'sk',
    key: 'sk',
    type: 'string',
    comment: 'sort key: MSG#<id>, NOTICE, MEMBER#<userId>, CONN#..., META...',
  },
  {
    name: 'type',
    key: 'type',
    type: 'string',
    comment: 'message, notice, member, presence, connection, ...',
  },
  { name: 'roomid', key: 'roomId', type: 'string' },
  { name: 'messageid', key: 'messageId', type: 'string' },
  { name: 'userid', key: 'userId', type: 'string' },
  { name: 'region', key: 'region', type: 'string', comment: 'region key where it happened' },
  { name: 'text', key: 'text', type: 'string' },
  { name: 'clientmsgid', key: 'clientMsgId', type: 'string' },
  { name: 'parentid', key: 'parentId', type: 'string', comment: 'set on replies' },
  {
    name: 'reactions',
    key: 'reactions',
    type: 'map<string,array<string>>',
    comment: 'emoji -> user ids (items written before reaction items)',
  },
  { name: 'emoji', key: 'emoji', type: 'string', comment: 'on a reaction item' },
  { name: 'removed', key: 'removed', type: 'boolean', comment: 'a reaction removal (tombstone)' },
  {
    name: 'at',
    key: 'at',
    type: 'bigint',
    comment: 'when a reaction was added or removed, epoch milliseconds',
  },
  {
    name: 'sentthrough',
    key: 'sentThrough',
    type: 'string',
    comment: 'on presence: the newest clientMsgId its sends pushed',
  },
  { name: 'connectionid', key: 'connectionId', type: 'string' },
  { name: 'sentat', key: 'sentAt', type: 'bigint', comment: 'epoch milliseconds' },
  { name: 'joinedat', key: 'joinedAt', type: 'bigint', comment: 'epoch milliseconds' },
  { name: 'connectedat', key: 'connectedAt', type: 'bigint', comment: 'epoch milliseconds' },
  { name: 'setat', key: 'setAt', type: 'bigint', comment: 'when a notice was pinned, epoch milliseconds' },
  { name: 'expiresat', key: 'expiresAt', type: 'bigint', comment: 'TTL, epoch seconds' },
];

/** The table's partition columns (strings, from the object's prefix). */
export const ANALYTICS_PARTITIONS = ['year', 'month', 'day', 'hour'] as const;

export interface NamedQuery {
  readonly name: string;
  readonly description: string;
  /** SQL both Athena (Trino) and DuckDB run; `{{where}}` is the rows' filter (TRUE, or one day's partitions). */
  readonly sql: string;
}

/**
 * The shipped queries (`chatctl analytics query --named NAME`, and every one of them in `analytics daily`).
 * The home replica's stream shows each write once; a presence copy another region writes shows again, so
 * presence and members are counted by distinct user.
 */
export const NAMED_QUERIES: readonly NamedQuery[] = [
  {
    name: 'messages-per-room-per-hour',
    description: 'messages (replies included) per room per hour (UTC)',
    sql: `SELECT roomid, year, month, day, hour, count(*) AS messages
FROM events WHERE type = 'message' AND {{where}}
GROUP BY roomid, year, month, day, hour ORDER BY year, month, day, hour, roomid`,
  },
  {
    name: 'active-users-per-region',
    description: 'users who sent, reacted or joined, per region where they did',
    sql: `SELECT region, count(DISTINCT userid) AS users
FROM events WHERE type IN ('message', 'reaction', 'presence') AND region IS NOT NULL AND {{where}}
GROUP BY region ORDER BY region`,
  },
  {
    name: 'cross-region-share',
    description: 'rooms whose messages came from more than one region, and their share of messages',
    sql: `WITH rooms AS (
  SELECT roomid, count(DISTINCT region) AS regions, count(*) AS messages
  FROM events WHERE type = 'message' AND {{where}} GROUP BY roomid
)
SELECT count(*) AS rooms,
  sum(CASE WHEN regions > 1 THEN 1 ELSE 0 END) AS cross_region_rooms,
  sum(messages) AS messages,
  sum(CASE WHEN regions > 1 THEN messages ELSE 0 END) AS cross_region_messages,
  CAST(sum(CASE WHEN regions > 1 THEN messages ELSE 0 END) AS DOUBLE) / nullif(sum(messages), 0) AS cross_region_share
FROM rooms`,
  },
  {
    name: 'room-sizes',
    description: 'members per room (distinct users who joined)',
    sql: `SELECT roomid, count(DISTINCT userid) AS members
FROM events WHERE type = 'member' AND {{where}}
GROUP BY roomid ORDER BY members DESC, roomid`,
  },
  {
    name: 'reactions-per-message',
    description: "reactions on each message that has any (a user's emoji counts once; removals taken off)",
    sql: `SELECT roomid, messageid, count(*) AS reactions FROM (
  SELECT roomid, messageid, emoji, userid, max_by(removed, "at") AS removed
  FROM events WHERE type = 'reaction' AND {{where}} GROUP BY roomid, messageid, emoji, userid
) latest WHERE NOT coalesce(removed, false)
GROUP BY roomid, messageid ORDER BY reactions DESC, messageid`,
  },
];

/** A named query's SQL over every row, or over one UTC day's partitions (`YYYY-MM-DD`). */
export function namedQuerySql(query: NamedQuery, day?: string): string {
  let where = 'TRUE';
  if (day) {
    if (!isDay(day)) throw new UserError(`"${day}" is not a day; give it as YYYY-MM-DD (UTC)`);
    const [year, month, date] = day.split('-');
    where = dayWhere(year, month, date);
  }
  return query.sql.replaceAll(WHERE, where);
}

/** The placeholder of a named query's row filter. */
export const WHERE = '{{where}}';

/**
 * The filter of one UTC day's partitions, from the year, month and day as text (SQL literals around each). The
 * stacks' daily job builds the same filter in JSONata by passing it the expressions in place of the values.
 */
export function dayWhere(year: string, month: string, date: string): string {
  return `year = '${year}' AND month = '${month}' AND day = '${date}'`;
}

export function isDay(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
}

export function findNamedQuery(name: string): NamedQuery | undefined {
  return NAMED_QUERIES.find((q) => q.name === name);
}
