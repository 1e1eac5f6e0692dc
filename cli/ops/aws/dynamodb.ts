/**
 * DynamoDB as the ops code reads and writes it: canary items (replication lag), the table's replica
 * status, a room's partition (compared across replicas) and the per-region load level (through the
 * store's own reader and writer, so the attribute names live in one place).
 */
import {
  type AttributeValue,
  DescribeTableCommand,
  type DescribeTableCommandOutput,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { ATTR, keys } from '../../../core/datamodel.js';
import { names } from '../../../core/names.js';
import type { LoadLevel } from '../../../core/protocol.js';
import { getLoadLevelRecord, type LoadLevelRecord, setLoadLevel } from '../../../runtime/store/load-level.js';
import { setAutoSettings } from '../../../runtime/surge/state.js';
import type { Target } from '../target.js';

type Item = Record<string, AttributeValue>;

const sent = (signal?: AbortSignal) => (signal ? { abortSignal: signal } : undefined);

/** Writes a canary in one region; DynamoDB's TTL removes it after `ttlSeconds`. */
export async function putCanary(
  target: Target,
  client: DynamoDBClient,
  canary: { source: string; sk: string; ttlSeconds: number },
  signal?: AbortSignal,
): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: names.table(target.topology),
      Item: {
        [ATTR.pk]: { S: keys.canaryPk },
        [ATTR.sk]: { S: canary.sk },
        source: { S: canary.source },
        writtenAt: { N: String(Date.now()) },
        [ATTR.ttl]: { N: String(Math.floor(Date.now() / 1000) + canary.ttlSeconds) },
      },
    }),
    sent(signal),
  );
}

/** Whether the canary is in this replica yet (a consistent read of its key only). */
export async function canaryPresent(
  target: Target,
  client: DynamoDBClient,
  sk: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const out = await client.send(
    new GetItemCommand({
      TableName: names.table(target.topology),
      Key: { [ATTR.pk]: { S: keys.canaryPk }, [ATTR.sk]: { S: sk } },
      ConsistentRead: true,
      ProjectionExpression: '#pk',
      ExpressionAttributeNames: { '#pk': ATTR.pk },
    }),
    sent(signal),
  );
  return out.Item !== undefined;
}

export async function describeChatTable(
  target: Target,
  client: DynamoDBClient,
  signal?: AbortSignal,
): Promise<DescribeTableCommandOutput> {
  return client.send(new DescribeTableCommand({ TableName: names.table(target.topology) }), sent(signal));
}

/** Every item of a room's partition in one replica (Query, every page, consistent). */
export async function roomItems(
  target: Target,
  client: DynamoDBClient,
  roomId: string,
  signal?: AbortSignal,
): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const out = await client.send(
      new QueryCommand({
        TableName: names.table(target.topology),
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': ATTR.pk },
        ExpressionAttributeValues: { ':pk': { S: keys.roomPk(roomId) } },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
      sent(signal),
    );
    items.push(...((out.Items ?? []) as Item[]));
    start = out.LastEvaluatedKey as Item | undefined;
  } while (start);
  return items;
}

/** A region's load level as its handlers read it (no item means level 0). */
export function readLoadLevel(target: Target, client: DynamoDBClient, key: string): Promise<LoadLevelRecord> {
  return getLoadLevelRecord(client, names.table(target.topology), key);
}

export function writeLoadLevel(
  target: Target,
  client: DynamoDBClient,
  key: string,
  level: LoadLevel,
  options: { reason?: string } = {},
): Promise<LoadLevelRecord> {
  return setLoadLevel(client, names.table(target.topology), key, level, options);
}

/** Turns the surge controller's automatic levels on or off in one region (its own replica). */
export function writeAutoSettings(
  target: Target,
  client: DynamoDBClient,
  key: string,
  settings: { enabled: boolean; maxLevel?: LoadLevel },
): Promise<LoadLevelRecord> {
  return setAutoSettings(client, names.table(target.topology), key, settings);
}
