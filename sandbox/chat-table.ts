/**
 * The chat table in DynamoDB Local: a client straight to the engine for one region of a sandbox, and the
 * table's creation (the runtime's createChatTable: the stacks' shape, streams and TTL on). The Sandbox
 * and replication use them.
 */
import { DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { createChatTable } from '../runtime/store/table.js';

/** A client straight to DynamoDB Local for one region of this sandbox (replication and setup use it). */
export function engineClient(endpoint: string, instanceId: string, awsRegion: string): DynamoDBClient {
  return new DynamoDBClient({
    region: awsRegion,
    endpoint,
    credentials: { accessKeyId: instanceId, secretAccessKey: 'sandbox' },
    maxAttempts: 3,
  });
}

/** Creates the chat table (streams on, TTL on) unless it exists; true when it was created now. */
export async function ensureChatTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  const existing = await client.send(new DescribeTableCommand({ TableName: tableName })).catch((error) => {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  });
  const streamArn = existing ? existing.Table?.LatestStreamArn : await createChatTable(client, tableName);
  if (!streamArn) throw new Error(`table ${tableName} has no stream`);
  return !existing;
}
