/** Creates the chat table with the shape of core/datamodel.ts (the sandbox's replicas and the tests use this). */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
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
  try {
    await client.send(
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
  } catch (error) {
    if (errorName(error) !== 'ResourceInUseException') throw error;
  }
  for (let i = 0; i < 100; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') {
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
      return Table.LatestStreamArn;
    }
    await sleep(100);
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}
