import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, inject, it } from 'vitest';

function client(region: string) {
  return new DynamoDBClient({
    region,
    endpoint: inject('dynamoEndpoint'),
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

describe('dynamodb-local', () => {
  it('dynamodb-local: keeps a separate database per region', async () => {
    const seoul = client('ap-northeast-2');
    const tokyo = client('ap-northeast-1');
    await seoul.send(
      new CreateTableCommand({
        TableName: 'only-in-seoul',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    expect((await seoul.send(new ListTablesCommand({}))).TableNames).toContain('only-in-seoul');
    expect((await tokyo.send(new ListTablesCommand({}))).TableNames ?? []).not.toContain('only-in-seoul');
  });
});
