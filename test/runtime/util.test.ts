import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { ConnectionPoster } from '../../runtime/notify/connections.js';
import { defaultLambdaFactory } from '../../runtime/notify/relay.js';
import { SDK_LOGGER } from '../../runtime/util.js';

/** A requestHandler answering every request with `status` and `body`, as DynamoDB would. */
function canned(status: number, body: string) {
  const bytes = new TextEncoder().encode(body);
  return {
    metadata: { handlerProtocol: 'http/1.1' },
    handle: async () => ({
      response: {
        statusCode: status,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'content-length': String(bytes.length) },
        body: new Uint8Array(bytes),
      },
    }),
    updateHttpClientConfig: () => {},
    httpHandlerConfigs: () => ({}),
    destroy: () => {},
  };
}

/** How often one GetItem through `client` reads its input's Key (the serializer reads it; a log copy would too). */
async function keyReads(client: DynamoDBClient): Promise<number> {
  let reads = 0;
  const input = {
    TableName: 'chat',
    get Key() {
      reads++;
      return { pk: { S: 'ROOM#r' }, sk: { S: 'NOTICE' } };
    },
  };
  await client.send(new GetItemCommand(input)).catch(() => {});
  return reads;
}

const client = (logger: DynamoDBClient['config']['logger'] | undefined, status = 200, body = '{}') =>
  new DynamoDBClient({
    region: 'ap-northeast-2',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
    requestHandler: canned(status, body),
    ...(logger ? { logger } : {}),
  });

describe('SDK_LOGGER', () => {
  it('SDK_LOGGER: the logger middleware builds no log copy of a command, on success or failure', async () => {
    const failure = '{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"no"}';
    // The default logger (a no-op with info and error) makes the middleware copy the input: one more read.
    const byDefault = await keyReads(client(undefined));
    const quiet = await keyReads(client(SDK_LOGGER));
    expect(quiet).toBeGreaterThan(0);
    expect(byDefault).toBeGreaterThan(quiet);
    expect(await keyReads(client(undefined, 400, failure))).toBeGreaterThan(
      await keyReads(client(SDK_LOGGER, 400, failure)),
    );
  });

  it('SDK_LOGGER: commands still answer and fail as they do with the default logger', async () => {
    const { Item } = await client(SDK_LOGGER, 200, '{"Item":{"pk":{"S":"x"}}}').send(
      new GetItemCommand({ TableName: 'chat', Key: { pk: { S: 'x' } } }),
    );
    expect(Item).toEqual({ pk: { S: 'x' } });
    const failure = '{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"no"}';
    await expect(
      client(SDK_LOGGER, 400, failure).send(
        new GetItemCommand({ TableName: 'chat', Key: { pk: { S: 'x' } } }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('SDK_LOGGER: the poster and the relay build their clients with it', async () => {
    const poster = new ConnectionPoster({ clientConfig: { region: 'ap-northeast-2' } });
    expect((await poster.client('http://127.0.0.1:9/prod')).config.logger).toBe(SDK_LOGGER);
    const lambda = await defaultLambdaFactory({})('ap-northeast-1');
    expect(lambda.config.logger).toBe(SDK_LOGGER);
  });
});
