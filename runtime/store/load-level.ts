/**
 * The per-region load level (0-3) stored in the chat table at CONFIG / LOAD#<region>.
 * `chatctl traffic level` writes it with setLoadLevel; the handlers read it through a short cache. The same
 * item keeps who set it (the operator or the surge controller), the figures that decided it, and the auto
 * settings (runtime/surge/state.ts writes those), and the replication lag into the region the controller last
 * measured (joined frames carry it, so clients wait that long for a gap): every write is an UpdateItem of its
 * own attributes.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ATTR, keys } from '../../core/datamodel.js';
import { UserError } from '../../core/errors.js';
import type { LoadLevel } from '../../core/protocol.js';

export interface LoadLevelRecord {
  readonly region: string;
  readonly level: LoadLevel;
  /** Epoch ms of the last change; null when never set (level 0). */
  readonly updatedAt: number | null;
  readonly reason?: string;
  /** Who set the level; null when never set. An operator's level holds until `chatctl traffic auto on`. */
  readonly setBy: 'operator' | 'auto' | null;
  /** The surge controller's figures behind an auto level (runtime/surge/controller.ts Figures), as stored. */
  readonly figures?: Readonly<Record<string, unknown>>;
  /** Automatic load levels: off unless `chatctl traffic auto on`; the max defaults to 3. */
  readonly auto: { readonly enabled: boolean; readonly maxLevel: LoadLevel };
  /** Replication lag into the region (ms) and when the controller measured it; absent until it has. */
  readonly replicationLag?: { readonly ms: number; readonly at: number };
}

/**
 * A stored lag older than this is not reported (the controller stopped running): three of its refreshes
 * (runtime/surge/run.ts writes an unchanged lag again every 5 minutes).
 */
export const REPLICATION_LAG_FRESH_MS = 15 * 60_000;

/** What the handlers read of the item: the level, and the replication lag when one fresh is stored. */
export interface LoadReading {
  readonly level: LoadLevel;
  readonly replicationLagMs?: number;
}

export function isLoadLevel(value: unknown): value is LoadLevel {
  return value === 0 || value === 1 || value === 2 || value === 3;
}

export const loadLevelKey = (region: string) => ({
  [ATTR.pk]: { S: keys.configPk },
  [ATTR.sk]: { S: keys.loadSk(region) },
});

/** The operator's level: it holds (auto does not touch it) until the operator runs `chatctl traffic auto on`. */
export async function setLoadLevel(
  client: DynamoDBClient,
  table: string,
  region: string,
  level: LoadLevel,
  options: { reason?: string; now?: number } = {},
): Promise<LoadLevelRecord> {
  if (!isLoadLevel(level)) {
    throw new UserError(`load level ${String(level)} does not exist`, {
      hint: 'use 0 (normal), 1, 2 or 3 (shed the most)',
    });
  }
  const updatedAt = options.now ?? Date.now();
  const { Attributes } = await client.send(
    new UpdateItemCommand({
      TableName: table,
      Key: loadLevelKey(region),
      UpdateExpression: `SET #level = :level, updatedAt = :at, setBy = :operator${options.reason ? ', reason = :reason' : ''} REMOVE figures${options.reason ? '' : ', reason'}`,
      ExpressionAttributeNames: { '#level': 'level' },
      ExpressionAttributeValues: {
        ':level': { N: String(level) },
        ':at': { N: String(updatedAt) },
        ':operator': { S: 'operator' },
        ...(options.reason ? { ':reason': { S: options.reason } } : {}),
      },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return parseLoadLevelItem(region, Attributes);
}

/** Reads the stored item (any subset of its attributes) into a record; what is missing takes its default. */
export function parseLoadLevelItem(
  region: string,
  item: Record<string, AttributeValue> | undefined,
): LoadLevelRecord {
  const level = Number(item?.level?.N ?? 0);
  const maxLevel = Number(item?.maxLevel?.N ?? 3);
  const setBy = item?.setBy?.S;
  let figures: Record<string, unknown> | undefined;
  try {
    figures = item?.figures?.S ? (JSON.parse(item.figures.S) as Record<string, unknown>) : undefined;
  } catch {
    figures = undefined;
  }
  return {
    region,
    level: isLoadLevel(level) ? level : 0,
    updatedAt: item?.updatedAt?.N ? Number(item.updatedAt.N) : null,
    ...(item?.reason?.S ? { reason: item.reason.S } : {}),
    setBy: setBy === 'operator' || setBy === 'auto' ? setBy : null,
    ...(figures ? { figures } : {}),
    auto: { enabled: item?.autoEnabled?.BOOL === true, maxLevel: isLoadLevel(maxLevel) ? maxLevel : 3 },
    ...replicationLagOf(item),
  };
}

function replicationLagOf(item: Record<string, AttributeValue> | undefined) {
  const ms = Number(item?.replicationLagMs?.N);
  const at = Number(item?.replicationLagAt?.N);
  return Number.isFinite(ms) && ms >= 0 && Number.isFinite(at) ? { replicationLag: { ms, at } } : {};
}

/**
 * Stores the replication lag into the region the controller measured. Its own attributes only, with no
 * condition: it never touches the level, so it races with neither the operator nor a level change.
 */
export async function setReplicationLag(
  client: DynamoDBClient,
  table: string,
  region: string,
  lagMs: number,
  now: number,
): Promise<void> {
  await client.send(
    new UpdateItemCommand({
      TableName: table,
      Key: loadLevelKey(region),
      UpdateExpression: 'SET replicationLagMs = :ms, replicationLagAt = :at',
      ExpressionAttributeValues: {
        ':ms': { N: String(Math.max(0, Math.round(lagMs))) },
        ':at': { N: String(now) },
      },
    }),
  );
}

/** The level and, when measured within REPLICATION_LAG_FRESH_MS of `now`, the replication lag. */
export async function getLoadReading(
  client: DynamoDBClient,
  table: string,
  region: string,
  now: number,
): Promise<LoadReading> {
  const record = await getLoadLevelRecord(client, table, region);
  const lag = record.replicationLag;
  return lag && now - lag.at <= REPLICATION_LAG_FRESH_MS
    ? { level: record.level, replicationLagMs: lag.ms }
    : { level: record.level };
}

export async function getLoadLevelRecord(
  client: DynamoDBClient,
  table: string,
  region: string,
): Promise<LoadLevelRecord> {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: table, Key: loadLevelKey(region), ConsistentRead: true }),
  );
  return parseLoadLevelItem(region, Item);
}

export async function getLoadLevel(
  client: DynamoDBClient,
  table: string,
  region: string,
): Promise<LoadLevel> {
  return (await getLoadLevelRecord(client, table, region)).level;
}

/** What each level sheds; `send` and its fan-out are never shed. */
export const SHEDDING = {
  /** Largest history page (join and paging) at this level. */
  historyLimit: (level: LoadLevel, wanted: number) => (level >= 1 ? Math.min(wanted, 20) : wanted),
  reactions: (level: LoadLevel) => level >= 2,
  notices: (level: LoadLevel) => level >= 2,
  historyPaging: (level: LoadLevel) => level >= 3,
  newConnections: (level: LoadLevel) => level >= 3,
} as const;

/** A jittered retry-after for a shed request: a random value in [base/2, base*1.5], base growing with level. */
export function retryAfterMs(level: LoadLevel, random = Math.random): number {
  const base = [0, 1000, 2000, 5000][level];
  return Math.round(base * (0.5 + random()));
}

/**
 * Reads the level (and the replication lag stored beside it) at most once per `ttlMs`; on a read error keeps
 * the last known reading. The read may answer a bare level (no lag known).
 */
export class LoadLevelCache {
  private value: LoadReading = { level: 0 };
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private inflight?: Promise<LoadReading>;

  constructor(
    private readonly read: () => Promise<LoadReading | LoadLevel>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<LoadLevel> {
    return (await this.reading()).level;
  }

  /** The replication lag into the region the controller last stored; undefined when none is fresh. */
  async replicationLagMs(): Promise<number | undefined> {
    return (await this.reading()).replicationLagMs;
  }

  private reading(): Promise<LoadReading> {
    if (this.now() - this.fetchedAt < this.ttlMs) return Promise.resolve(this.value);
    this.inflight ??= this.read()
      .then(
        (read) => {
          this.value = typeof read === 'number' ? { level: read } : read;
          return this.value;
        },
        (error) => {
          console.warn(`load level read failed, keeping level ${this.value.level}: ${String(error)}`);
          return this.value;
        },
      )
      .finally(() => {
        this.fetchedAt = this.now();
        this.inflight = undefined;
      });
    return this.inflight;
  }
}
