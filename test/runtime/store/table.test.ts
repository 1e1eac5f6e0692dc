import { DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { createOrFindChatTable } from '../../../runtime/store/table.js';

/** A client of the shared engine that records the name of every command it sends. */
function countingClient(sent: string[]): DynamoDBClient {
  const client = new DynamoDBClient({
    region: 'eu-west-1',
    endpoint: inject('dynamoEndpoint'),
    credentials: { accessKeyId: `table${Date.now()}`, secretAccessKey: 'x' },
  });
  client.middlewareStack.add(
    (next, context) => (args) => {
      sent.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize' },
  );
  return client;
}

describe('chat table', () => {
  it('createOrFindChatTable: a new table costs CreateTable and UpdateTimeToLive (TTL on); an existing one is found as it is', async () => {
    const sent: string[] = [];
    const client = countingClient(sent);
    const created = await createOrFindChatTable(client, 'chat-table-test');
    expect(created.created).toBe(true);
    expect(created.streamArn).toMatch(/^arn:aws:dynamodb:/);
    expect(sent).toEqual(['CreateTableCommand', 'UpdateTimeToLiveCommand']);
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: 'chat-table-test' }));
    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');

    sent.length = 0;
    const found = await createOrFindChatTable(client, 'chat-table-test');
    expect(found).toEqual({ created: false, streamArn: created.streamArn });
    expect(sent).toEqual(['CreateTableCommand', 'DescribeTableCommand']);
    client.destroy();
  });
});
