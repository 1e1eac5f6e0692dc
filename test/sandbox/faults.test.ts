import {
  CognitoIdentityProviderClient,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { clientConfig, startTestSandbox } from './support.js';
import { connect } from './ws-client.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox({ lag: 20 });
});

afterAll(async () => {
  await sandbox?.stop();
});

const region = (key: string) => sandbox.regions.get(key)!;

describe('sandbox faults', () => {
  it('gateway-down: refuses new connections, drops open ones, fails /health; heal restores all three', async () => {
    const open = await connect(region('tokyo').websocketUrl, 'kenji');
    sandbox.faults.inject('tokyo', 'gateway-down');
    expect(sandbox.faults.list('tokyo').map((f) => f.spec)).toEqual(['gateway-down']);
    expect((await open.closed).code).toBe(1006);
    await expect(connect(region('tokyo').websocketUrl, 'kenji')).rejects.toThrow(/503/);
    expect((await fetch(region('tokyo').healthUrl)).status).toBe(503);
    // Other regions are untouched.
    expect((await fetch(region('seoul').healthUrl)).status).toBe(200);

    sandbox.faults.heal('tokyo', 'gateway-down');
    expect(sandbox.faults.list('tokyo')).toEqual([]);
    expect((await fetch(region('tokyo').healthUrl)).status).toBe(200);
    const again = await connect(region('tokyo').websocketUrl, 'kenji');
    again.send({ action: 'ping' });
    expect((await again.next((f) => f.type === 'pong')).region).toBe('tokyo');
    await again.close();
  });

  it('replication-pause: holds the region in and out; heal catches up', async () => {
    const seoul = new DynamoDBClient(clientConfig(sandbox, region('seoul').awsRegion));
    const na = new DynamoDBClient(clientConfig(sandbox, region('na').awsRegion));
    const table = sandbox.tableName;
    const Key = { pk: { S: 'FAULT' }, sk: { S: 'pause' } };
    sandbox.faults.inject('na', 'replication-pause');
    expect(sandbox.replication.isPaused('na')).toBe(true);
    await seoul.send(new PutItemCommand({ TableName: table, Item: { ...Key, v: { S: 'from seoul' } } }));
    await sandbox.replication.settle();
    expect(
      (await na.send(new GetItemCommand({ TableName: table, Key, ConsistentRead: true }))).Item,
    ).toBeUndefined();
    sandbox.faults.heal('na');
    await sandbox.replication.settle();
    const item = await na.send(new GetItemCommand({ TableName: table, Key, ConsistentRead: true }));
    expect(item.Item?.v?.S).toBe('from seoul');
  });

  it('latency=MS: delays the region gateway (and its replication) by at least that much', async () => {
    sandbox.faults.inject('seoul', 'latency=300');
    expect(sandbox.faults.list('seoul')[0].spec).toBe('latency=300');
    const started = Date.now();
    expect((await fetch(region('seoul').healthUrl)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    sandbox.faults.heal('seoul', 'latency');
    expect(sandbox.faults.list('seoul')).toEqual([]);
  });

  it('relay-error: the region relay Invoke fails; heal restores it', async () => {
    const lambda = new LambdaClient(clientConfig(sandbox, region('na').awsRegion));
    const invoke = () =>
      lambda.send(
        new InvokeCommand({
          FunctionName: 'chat-na-relay',
          Payload: Buffer.from(JSON.stringify({ dryRun: true })),
        }),
      );
    sandbox.faults.inject('na', 'relay-error');
    await expect(invoke()).rejects.toMatchObject({ name: 'ServiceException' });
    sandbox.faults.heal('na', 'relay-error');
    expect((await invoke()).StatusCode).toBe(200);
  });

  it('throttle: a synchronous relay Invoke answers TooManyRequestsException (429); the misspelt name is suggested; heal restores it', async () => {
    const lambda = new LambdaClient(clientConfig(sandbox, region('na').awsRegion));
    const invoke = () =>
      lambda.send(
        new InvokeCommand({
          FunctionName: 'chat-na-relay',
          Payload: Buffer.from(JSON.stringify({ dryRun: true })),
        }),
      );
    expect(() => sandbox.faults.inject('na', 'throtle')).toThrow(
      expect.objectContaining({ hint: expect.stringMatching(/^did you mean throttle\?/) }),
    );
    expect(sandbox.faults.inject('na', 'throttle').spec).toBe('throttle');
    await expect(invoke()).rejects.toMatchObject({
      name: 'TooManyRequestsException',
      $metadata: { httpStatusCode: 429 },
    });
    sandbox.faults.heal('na', 'throttle');
    expect((await invoke()).StatusCode).toBe(200);
  });

  it("cognito-down: Cognito in the region's AWS region answers InternalErrorException, other regions' Cognito serves; heal restores it", async () => {
    const cognito = (key: string) =>
      new CognitoIdentityProviderClient({ ...clientConfig(sandbox, region(key).awsRegion), maxAttempts: 1 });
    const createPool = (key: string) =>
      cognito(key).send(new CreateUserPoolCommand({ PoolName: `fault-${key}-${Date.now()}` }));
    sandbox.faults.inject('seoul', 'cognito-down');
    expect(sandbox.faults.list('seoul').map((f) => f.spec)).toEqual(['cognito-down']);
    await expect(createPool('seoul')).rejects.toMatchObject({ name: 'InternalErrorException' });
    expect((await createPool('tokyo')).UserPool?.Id).toMatch(/^ap-northeast-1_/);
    sandbox.faults.heal('seoul', 'cognito-down');
    expect((await createPool('seoul')).UserPool?.Id).toMatch(/^ap-northeast-2_/);
  });

  it('faults: bad fault names and unknown regions are clear errors', () => {
    expect(() => sandbox.faults.inject('seoul', 'meteor')).toThrow(/unknown fault "meteor"/);
    expect(() => sandbox.faults.inject('seoul', 'latency')).toThrow(/latency needs a delay/);
    expect(() => sandbox.faults.inject('mars', 'gateway-down')).toThrow(/no region "mars"/);
  });
});
