/**
 * The per-region load level (0-3) stored in the chat table at CONFIG / LOAD#<region>.
 * `chatctl traffic level` writes it with setLoadLevel; the handlers read it through a short cache.
 */
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ATTR, keys } from '../../core/datamodel.js';
import { UserError } from '../../core/errors.js';
import type { LoadLevel } from '../../core/protocol.js';

export interface LoadLevelRecord {
  readonly region: string;
  readonly level: LoadLevel;
  /** Epoch ms of the last change; null when never set (level 0). */
  readonly updatedAt: number | null;
  readonly reason?: string;
}

export function isLoadLevel(value: unknown): value is LoadLevel {
  return value === 0 || value === 1 || value === 2 || value === 3;
}

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
  await client.send(
    new PutItemCommand({
      TableName: table,
      Item: {
        [ATTR.pk]: { S: keys.configPk },
        [ATTR.sk]: { S: keys.loadSk(region) },
        level: { N: String(level) },
        updatedAt: { N: String(updatedAt) },
        ...(options.reason ? { reason: { S: options.reason } } : {}),
      },
    }),
  );
  return { region, level, updatedAt, ...(options.reason ? { reason: options.reason } : {}) };
}

export async function getLoadLevelRecord(
  client: DynamoDBClient,
  table: string,
  region: string,
): Promise<LoadLevelRecord> {
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: table,
      Key: { [ATTR.pk]: { S: keys.configPk }, [ATTR.sk]: { S: keys.loadSk(region) } },
      ConsistentRead: true,
    }),
  );
  const level = Number(Item?.level?.N ?? 0);
  return {
    region,
    level: isLoadLevel(level) ? level : 0,
    updatedAt: Item?.updatedAt?.N ? Number(Item.updatedAt.N) : null,
    ...(Item?.reason?.S ? { reason: Item.reason.S } : {}),
  };
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

/** Reads the level at most once per `ttlMs`; on a read error keeps the last known level. */
export class LoadLevelCache {
  private value: LoadLevel = 0;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private inflight?: Promise<LoadLevel>;

  constructor(
    private readonly read: () => Promise<LoadLevel>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<LoadLevel> {
    if (this.now() - this.fetchedAt < this.ttlMs) return Promise.resolve(this.value);
    this.inflight ??= this.read()
      .then(
        (level) => {
          this.value = level;
          return level;
        },
        (error) => {
          console.warn(`load level read failed, keeping level ${this.value}: ${String(error)}`);
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
