import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { clientConfig, signedRequest, startTestSandbox } from './support.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox();
});

afterAll(async () => {
  await sandbox?.stop();
});

const table = () => sandbox.tableName;

describe('edge', () => {
  it('edge: DynamoDB in two regions are separate databases, whatever credentials sign', async () => {
    sandbox.replication.pause('seoul');
    try {
      const seoul = new DynamoDBClient(clientConfig(sandbox, 'ap-northeast-2'));
      const seoulOther = new DynamoDBClient(
        clientConfig(sandbox, 'ap-northeast-2', { accessKeyId: 'test', secretAccessKey: 'test' }),
      );
      const tokyo = new DynamoDBClient(clientConfig(sandbox, 'ap-northeast-1'));
      const Key = { pk: { S: 'EDGE' }, sk: { S: 'separate' } };
      await seoul.send(new PutItemCommand({ TableName: table(), Item: { ...Key, v: { S: 'seoul' } } }));
      const same = await seoulOther.send(
        new GetItemCommand({ TableName: table(), Key, ConsistentRead: true }),
      );
      expect(same.Item?.v?.S).toBe('seoul');
      const other = await tokyo.send(new GetItemCommand({ TableName: table(), Key, ConsistentRead: true }));
      expect(other.Item).toBeUndefined();
    } finally {
      sandbox.replication.resume('seoul');
    }
  });

  it('edge: DescribeTable shows the chat table as a Global Table with a replica per region', async () => {
    const tokyo = new DynamoDBClient(clientConfig(sandbox, 'ap-northeast-1'));
    const described = await tokyo.send(new DescribeTableCommand({ TableName: table() }));
    expect(described.Table?.GlobalTableVersion).toBe('2019.11.21');
    expect(described.Table?.Replicas?.map((r) => r.RegionName).sort()).toEqual(
      ['ap-northeast-1', 'ap-northeast-2', 'us-west-2'].sort(),
    );
    expect(described.Table?.Replicas?.every((r) => r.ReplicaStatus === 'ACTIVE')).toBe(true);
    expect(described.Table?.StreamSpecification?.StreamViewType).toBe('NEW_AND_OLD_IMAGES');
  });

  it('edge: STS GetCallerIdentity answers for the sandbox account', async () => {
    const sts = new STSClient(clientConfig(sandbox, 'us-east-1'));
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    expect(identity.Account).toBe('000000000000');
    expect(identity.Arn).toMatch(/^arn:aws:iam::000000000000:/);
  });

  it('edge: Lambda Invoke runs the region relay; an unknown function is ResourceNotFoundException', async () => {
    const lambda = new LambdaClient(clientConfig(sandbox, 'ap-northeast-1'));
    const result = await lambda.send(
      new InvokeCommand({
        FunctionName: 'chat-tokyo-relay',
        Payload: Buffer.from(JSON.stringify({ dryRun: true })),
      }),
    );
    expect(result.StatusCode).toBe(200);
    expect(result.FunctionError).toBeUndefined();
    const payload = JSON.parse(Buffer.from(result.Payload ?? []).toString('utf8'));
    expect(payload).toMatchObject({ ok: true, region: 'tokyo' });
    const event = await lambda.send(
      new InvokeCommand({
        FunctionName: 'arn:aws:lambda:ap-northeast-1:000000000000:function:chat-tokyo-relay',
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify({ dryRun: true })),
      }),
    );
    expect(event.StatusCode).toBe(202);
    // The seoul relay lives in ap-northeast-2, not in Tokyo.
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'chat-seoul-relay' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('edge: unknown services and operations, malformed and unsigned requests get AWS-shaped errors', async () => {
    const send = async (
      scope: { service: string; region: string },
      init: { headers: Record<string, string>; body: string },
      path = '/',
    ) => {
      const signed = await signedRequest(`${sandbox.edge}${path}`, init, scope);
      return fetch(`${sandbox.edge}${path}`, signed);
    };
    const unknownService = await send(
      { service: 'sqs', region: 'us-east-1' },
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'Action=ListQueues&Version=2012-11-05',
      },
    );
    expect(unknownService.status).toBe(400);
    expect(await unknownService.text()).toMatch(/<Code>UnknownOperationException<\/Code>/);

    const ddb = { service: 'dynamodb', region: 'us-east-1' };
    const unknownOp = await send(ddb, {
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.FlyToTheMoon',
      },
      body: '{}',
    });
    expect(unknownOp.status).toBe(400);
    expect(((await unknownOp.json()) as { __type: string }).__type).toMatch(/UnknownOperationException$/);

    const malformed = await send(ddb, {
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' },
      body: '{"TableName": ',
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { __type: string }).__type).toMatch(
      /SerializationException|ValidationException/,
    );

    const unsigned = await fetch(sandbox.edge, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
      },
      body: '{}',
    });
    expect(unsigned.status).toBe(403);
    expect(((await unsigned.json()) as { __type: string }).__type).toMatch(/MissingAuthenticationToken/);

    const badSignature = await fetch(sandbox.edge, {
      method: 'POST',
      headers: {
        authorization: 'AWS4-HMAC-SHA256 Credential=nonsense',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
      },
      body: '{}',
    });
    expect(badSignature.status).toBe(400);
    expect(((await badSignature.json()) as { __type: string }).__type).toMatch(/IncompleteSignature/);

    const badInvoke = await send(
      { service: 'lambda', region: 'ap-northeast-2' },
      { headers: {}, body: '{not json' },
      '/2015-03-31/functions/chat-seoul-relay/invocations',
    );
    expect(badInvoke.status).toBe(400);
    expect(badInvoke.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException');

    // And it keeps serving.
    const sts = new STSClient(clientConfig(sandbox, 'us-east-1'));
    expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe('000000000000');
  });
});
