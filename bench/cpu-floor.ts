/**
 * What a chat message cannot cost less than, measured on this machine: the AWS SDK v3's own CPU per call
 * (with a transport that answers at once, so neither the network nor an engine counts) and DynamoDB Local's
 * CPU per operation (its process's CPU time over many calls in a database of its own). The sandbox bench
 * puts them next to its figures, so the gap between a result and its aim reads as what it is.
 */
import { readFileSync } from 'node:fs';
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient, QueryCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { SDK_LOGGER } from '../runtime/util.js';
import { EngineClient } from '../sandbox/engine-client.js';

/** A requestHandler answering every request with a fixed 200: the SDK's work is all that is left. */
function cannedTransport(body: string) {
  const bytes = new TextEncoder().encode(body);
  return {
    metadata: { handlerProtocol: 'http/1.1' },
    handle: async () => ({
      response: {
        statusCode: 200,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'content-length': String(bytes.length) },
        body: new Uint8Array(bytes),
      },
    }),
    updateHttpClientConfig: () => {},
    httpHandlerConfigs: () => ({}),
    destroy: () => {},
  };
}

/**
 * CPU of this process per call of `call`, ms: the least of five rounds after a warm-up round (a floor: the
 * rounds differ by when the garbage collector runs and by what else the machine does).
 */
async function cpuPerCall(call: () => Promise<unknown>, calls = 2000): Promise<number> {
  let least = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 6; round++) {
    const before = process.cpuUsage();
    for (let i = 0; i < calls; i++) await call();
    const used = process.cpuUsage(before);
    if (round > 0) least = Math.min(least, (used.user + used.system) / 1000 / calls);
  }
  return least;
}

export interface SdkCallCost {
  /** PostToConnection, configured as the runtime's poster configures it. */
  readonly postMs: number;
  /** DynamoDB Query and TransactWriteItems, configured as the runtime's store configures them. */
  readonly queryMs: number;
  readonly transactMs: number;
}

export async function sdkCallCost(): Promise<SdkCallCost> {
  const common = {
    region: 'ap-northeast-2',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    cacheMiddleware: true,
    logger: SDK_LOGGER,
  };
  const poster = new ApiGatewayManagementApiClient({
    ...common,
    maxAttempts: 1,
    requestHandler: cannedTransport(''),
  });
  const data = Buffer.from(JSON.stringify({ type: 'message', message: { messageId: 'x', text: 'hello' } }));
  const postMs = await cpuPerCall(() =>
    poster.send(new PostToConnectionCommand({ ConnectionId: 'bench=', Data: data })),
  );
  const dynamodb = new DynamoDBClient({
    ...common,
    requestHandler: cannedTransport('{"Count":0,"Items":[],"ScannedCount":0}'),
  });
  const queryMs = await cpuPerCall(() =>
    dynamodb.send(
      new QueryCommand({
        TableName: 'bench',
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: {
          ':pk': { S: 'ROOM#r' },
          ':lo': { S: 'CONN#' },
          ':hi': { S: 'CONN#\u{10FFFF}' },
        },
      }),
    ),
  );
  const put = (sk: string) => ({
    Put: {
      TableName: 'bench',
      Item: { pk: { S: 'ROOM#r' }, sk: { S: sk }, text: { S: 'hello' } },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'pk' },
    },
  });
  const transactMs = await cpuPerCall(() =>
    dynamodb.send(new TransactWriteItemsCommand({ TransactItems: [put('MSG#1'), put('CMID#1')] })),
  );
  poster.destroy();
  dynamodb.destroy();
  return { postMs, queryMs, transactMs };
}

/** CPU time (user + system) a process has used so far, ms. */
export function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export interface EngineOpCost {
  readonly putMs: number;
  readonly queryMs: number;
  readonly transactMs: number;
  /** BatchWriteItem of two puts: what replication writes per chat message in each other region. */
  readonly batchOfTwoMs: number;
}

/**
 * DynamoDB Local's CPU per operation, in a database of its own (an access key nobody else uses) with a table
 * shaped like the chat table (stream on). Sequential calls, so the figures are the engine's cost per request.
 */
export async function engineOpCost(endpoint: string, enginePid: number): Promise<EngineOpCost> {
  const engine = new EngineClient(endpoint, `benchfloor${process.pid}`, 'ap-northeast-2');
  const op = (name: string, input: unknown) => engine.call(`DynamoDB_20120810.${name}`, input);
  const table = 'bench-floor';
  await op('CreateTable', {
    TableName: table,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  });
  const item = (sk: string) => ({ pk: { S: 'ROOM#r' }, sk: { S: sk }, text: { S: 'a chat message' } });
  let n = 0;
  const perOp = async (call: () => Promise<unknown>, calls = 1500): Promise<number> => {
    for (let i = 0; i < 300; i++) await call(); // warm-up
    const before = processCpuMs(enginePid);
    for (let i = 0; i < calls; i++) await call();
    return (processCpuMs(enginePid) - before) / calls;
  };
  try {
    const putMs = await perOp(() => op('PutItem', { TableName: table, Item: item(`MSG#${n++}`) }));
    const queryMs = await perOp(() =>
      op('Query', {
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
        ExpressionAttributeValues: {
          ':pk': { S: 'ROOM#r' },
          ':lo': { S: 'CONN#' },
          ':hi': { S: 'CONN#\u{10FFFF}' },
        },
      }),
    );
    const conditional = (sk: string) => ({
      Put: { TableName: table, Item: item(sk), ConditionExpression: 'attribute_not_exists(pk)' },
    });
    const transactMs = await perOp(() =>
      op('TransactWriteItems', { TransactItems: [conditional(`MSG#t${n}`), conditional(`CMID#t${n++}`)] }),
    );
    const batchOfTwoMs = await perOp(() =>
      op('BatchWriteItem', {
        RequestItems: {
          [table]: [
            { PutRequest: { Item: item(`MSG#b${n}`) } },
            { PutRequest: { Item: item(`CMID#b${n++}`) } },
          ],
        },
      }),
    );
    return { putMs, queryMs, transactMs, batchOfTwoMs };
  } finally {
    await op('DeleteTable', { TableName: table }).catch(() => {});
  }
}
