/** Creates the chat table with the shape of core/datamodel.ts (the sandbox's replicas and the tests use this). */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type TableDescription,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CHAT_TABLE_SHAPE } from '../../core/datamodel.js';
import { errorName, sleep } from '../util.js';

/**
 * Creates `tableName` (pk/sk strings, on-demand, stream NEW_AND_OLD_IMAGES, TTL on expiresAt) and waits
 * until it is ACTIVE. Idempotent: an existing table is left as it is. Returns the stream ARN.
 */
export async function createChatTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<string | undefined> {
  return (await createOrFindChatTable(client, tableName)).streamArn;
}

/**
 * As createChatTable, and says whether the table was created now. A new table costs two calls when the
 * engine answers CreateTable with ACTIVE (DynamoDB Local does): no DescribeTable before or after it.
 */
export async function createOrFindChatTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<{ streamArn: string | undefined; created: boolean }> {
  let table: TableDescription | undefined;
  try {
    const answer = await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: CHAT_TABLE_SHAPE.partitionKey, AttributeType: 'S' },
          { AttributeName: CHAT_TABLE_SHAPE.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: CHAT_TABLE_SHAPE.partitionKey, KeyType: 'HASH' },
          { AttributeName: CHAT_TABLE_SHAPE.sortKey, KeyType: 'RANGE' },
        ],
        StreamSpecification: { StreamEnabled: true, StreamViewType: CHAT_TABLE_SHAPE.streamView },
      }),
    );
    table = answer.TableDescription;
  } catch (error) {
    if (errorName(error) !== 'ResourceInUseException') throw error;
    // It exists: left as it is.
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return { streamArn: Table.LatestStreamArn, created: false };
  }
  const created = table !== undefined;
  if (table?.TableStatus !== 'ACTIVE') table = await untilActive(client, tableName);
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: CHAT_TABLE_SHAPE.ttlAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    // Already enabled: DynamoDB answers ValidationException "TimeToLive is already enabled".
    if (errorName(error) !== 'ValidationException') throw error;
  }
  return { streamArn: table.LatestStreamArn, created };
}

async function untilActive(client: DynamoDBClient, tableName: string): Promise<TableDescription> {
  for (let i = 0; i < 100; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return Table;
    await sleep(100);
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}
