/**
 * The chat table in DynamoDB Local: a client straight to the engine for one region of a sandbox, and the
 * table's creation (the runtime's createChatTable: the stacks' shape, streams and TTL on), and the chat
 * tables of one sandbox, one per region (ChatTables: create, copy into a new replica, delete).
 */
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CHAT_TABLE_SHAPE } from '../core/datamodel.js';
import { createOrFindChatTable } from '../runtime/store/table.js';
import { EngineClient } from './engine-client.js';
import type { Replicator } from './replication/replicator.js';

/** A client straight to DynamoDB Local for one region of this sandbox (replication and setup use it). */
function engineClient(endpoint: string, instanceId: string, awsRegion: string): DynamoDBClient {
  return new DynamoDBClient({
    region: awsRegion,
    endpoint,
    credentials: { accessKeyId: instanceId, secretAccessKey: 'sandbox' },
    maxAttempts: 3,
  });
}

/** Creates the chat table (streams on, TTL on) unless it exists; true when it was created now. */
export async function ensureChatTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  const { streamArn, created } = await createOrFindChatTable(client, tableName);
  if (!streamArn) throw new Error(`table ${tableName} has no stream`);
  return created;
}

/** The chat table of each region of one sandbox, through one engine client per region. */
export class ChatTables {
  private readonly clients = new Map<string, DynamoDBClient>();

  constructor(
    private readonly endpoint: string,
    private readonly instanceId: string,
    private readonly tableName: string,
  ) {}

  /** Creates the region's table unless it exists; true when it was created now. */
  ensure(awsRegion: string): Promise<boolean> {
    return ensureChatTable(this.client(awsRegion), this.tableName);
  }

  /** Copies every item of one region's table into a new replica (through replication's apply). */
  async copyInto(fromAwsRegion: string, replicator: Replicator, toKey: string): Promise<void> {
    const source = new EngineClient(this.endpoint, this.instanceId, fromAwsRegion);
    let start: Record<string, unknown> | undefined;
    do {
      const page: {
        Items?: Record<string, Record<string, unknown>>[];
        LastEvaluatedKey?: Record<string, unknown>;
      } = await source.call('DynamoDB_20120810.Scan', {
        TableName: this.tableName,
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      const keys = [CHAT_TABLE_SHAPE.partitionKey, CHAT_TABLE_SHAPE.sortKey];
      await replicator.copyInto(toKey, page.Items ?? [], keys);
      start = page.LastEvaluatedKey;
    } while (start);
  }

  async remove(awsRegion: string): Promise<void> {
    await this.client(awsRegion).send(new DeleteTableCommand({ TableName: this.tableName }));
  }

  destroy(): void {
    for (const client of this.clients.values()) client.destroy();
  }

  private client(awsRegion: string): DynamoDBClient {
    let client = this.clients.get(awsRegion);
    if (!client) {
      client = engineClient(this.endpoint, this.instanceId, awsRegion);
      this.clients.set(awsRegion, client);
    }
    return client;
  }
}
