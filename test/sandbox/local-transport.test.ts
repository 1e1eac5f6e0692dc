import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { names } from '../../core/names.js';
import type { Sandbox } from '../../sandbox/index.js';
import { LocalTransport } from '../../sandbox/local-transport.js';
import { clientConfig, startTestSandbox, TEST_CREDENTIALS } from './support.js';
import { connect } from './ws-client.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox();
});

afterAll(async () => {
  await sandbox?.stop();
});

/** An unmodified SDK client config that reaches the sandbox in-process. */
const inProcess = (region: string) => ({
  ...clientConfig(sandbox, region),
  requestHandler: sandbox.requestHandler,
});

describe('local transport', () => {
  it('local transport: DynamoDB calls in-process land in the same database the edge port serves', async () => {
    const local = new DynamoDBClient(inProcess('ap-northeast-2'));
    const viaPort = new DynamoDBClient(clientConfig(sandbox, 'ap-northeast-2'));
    const Key = { pk: { S: 'LOCAL' }, sk: { S: 'same-db' } };
    await local.send(
      new PutItemCommand({ TableName: sandbox.tableName, Item: { ...Key, v: { S: 'in-process' } } }),
    );
    const read = await viaPort.send(
      new GetItemCommand({ TableName: sandbox.tableName, Key, ConsistentRead: true }),
    );
    expect(read.Item?.v?.S).toBe('in-process');
    // AWS errors come back as the SDK's typed exceptions, as over HTTP.
    await expect(local.send(new GetItemCommand({ TableName: 'no-such-table', Key }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    local.destroy();
    viaPort.destroy();
  });

  it('local transport: @connections posts reach the socket, and an unknown id raises GoneException', async () => {
    const client = await connect(sandbox.regions.get('seoul')!.websocketUrl, 'lena');
    const before = client.frames.length;
    client.send({ action: 'ping' });
    await client.next((f) => f.type === 'pong');
    expect(client.frames.length).toBeGreaterThan(before);
    const api = new ApiGatewayManagementApiClient({
      region: 'ap-northeast-2',
      endpoint: sandbox.regions.get('seoul')!.managementUrl,
      credentials: TEST_CREDENTIALS,
      requestHandler: sandbox.requestHandler,
    });
    await expect(
      api.send(new PostToConnectionCommand({ ConnectionId: 'nope0000000000A=', Data: Buffer.from('x') })),
    ).rejects.toBeInstanceOf(GoneException);
    await client.close();
    api.destroy();
  });

  it('local transport: Lambda Invoke runs the relay; a port nobody serves is refused as a socket would be', async () => {
    const lambda = new LambdaClient(inProcess('ap-northeast-1'));
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: names.relayFunction(sandbox.topology, 'tokyo'),
        Payload: Buffer.from(JSON.stringify({ dryRun: true })),
      }),
    );
    expect(JSON.parse(Buffer.from(out.Payload!).toString())).toMatchObject({
      ok: true,
      region: 'tokyo',
      dryRun: true,
    });
    const nowhere = new DynamoDBClient({ ...inProcess('ap-northeast-2'), endpoint: 'http://127.0.0.1:1' });
    await expect(
      nowhere.send(
        new GetItemCommand({ TableName: sandbox.tableName, Key: { pk: { S: 'x' }, sk: { S: 'y' } } }),
      ),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    lambda.destroy();
    nowhere.destroy();
  });

  it('local transport: an abort signal and a request timeout end the wait as a socket would; a retry does not outlive the abort', async () => {
    const transport = new LocalTransport();
    let served = 0;
    transport.route(65001, async () => {
      served++;
      return new Promise<never>(() => {});
    });
    const lambda = new LambdaClient({
      region: 'ap-northeast-1',
      endpoint: 'http://127.0.0.1:65001',
      credentials: TEST_CREDENTIALS,
      requestHandler: transport.requestHandler,
      maxAttempts: 3,
    });
    const invoke = new InvokeCommand({ FunctionName: 'stuck', Payload: Buffer.from('{}') });
    let started = Date.now();
    await expect(lambda.send(invoke, { abortSignal: AbortSignal.timeout(200) })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(Date.now() - started).toBeLessThan(1000);
    started = Date.now();
    const single = new LambdaClient({
      region: 'ap-northeast-1',
      endpoint: 'http://127.0.0.1:65001',
      credentials: TEST_CREDENTIALS,
      requestHandler: transport.requestHandler,
      maxAttempts: 1,
    });
    await expect(single.send(invoke, { requestTimeout: 200 })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(served).toBeGreaterThanOrEqual(2);
    // Already aborted: nothing is sent.
    const before = served;
    await expect(single.send(invoke, { abortSignal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(served).toBe(before);
    lambda.destroy();
    single.destroy();
  });
});
