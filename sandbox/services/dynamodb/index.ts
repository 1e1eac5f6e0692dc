/**
 * DynamoDB and DynamoDB Streams on the edge: requests are forwarded to DynamoDB Local with the access key
 * rewritten to the sandbox's instance id (DynamoDB Local keeps one database per access key and region, so
 * every client of one sandbox sees the same database whatever it signs with, and sandboxes sharing one
 * engine stay apart). DescribeTable of the chat table shows its replicas as a Global Table's does.
 */
import { Agent, request as httpRequest } from 'node:http';
import { names } from '../../../core/names.js';
import type { EdgeRequest, EdgeResponse } from '../../contracts.js';
import { rewriteAccessKey } from '../../wire/aws-wire.js';
import { awsError } from '../../wire/errors.js';
import { nullObject } from '../../wire/keys.js';
import type { ServiceFactory } from '../definition.js';
import type { PartNeed, SandboxParts } from '../parts.js';
import type { SandboxService, ServiceContext } from '../service.js';

/** Operations that may change items, so put a record in the table's stream. */
const WRITES = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
  'ExecuteStatement',
  'BatchExecuteStatement',
  'ExecuteTransaction',
]);

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function forward(endpoint: URL, request: EdgeRequest, instanceId: string): Promise<EdgeResponse> {
  const headers = nullObject<string>();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || name === 'host' || name === 'connection' || name === 'content-length')
      continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (headers.authorization) headers.authorization = rewriteAccessKey(headers.authorization, instanceId);
  headers['content-length'] = String(request.body.length);
  headers.host = endpoint.host;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: endpoint.hostname,
        port: endpoint.port,
        method: request.method,
        path: request.path,
        headers,
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const out = nullObject<string>();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value === undefined || name === 'content-length' || name === 'connection') continue;
            if (name === 'transfer-encoding' || name === 'keep-alive') continue;
            out[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({ status: res.statusCode ?? 500, headers: out, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error('DynamoDB Local did not answer within 60 s')));
    req.end(request.body);
  });
}

/** The namespaces of DynamoDB's errors: the front end's (bad requests) and the service's own. */
const CORAL = { errorNamespace: 'com.amazon.coral.service' };
const DYNAMODB = { errorNamespace: 'com.amazonaws.dynamodb.v20120810' };

/** DynamoDB Local behind it, and replication told of each write. */
export type DynamoDbNeeds = { engine: PartNeed<'engine'> };

export const createService: ServiceFactory<SandboxService, DynamoDbNeeds> = (context, { engine }) =>
  new DynamoDbService(context, engine);

class DynamoDbService implements SandboxService {
  readonly name = 'dynamodb';
  private readonly endpoint: URL;

  constructor(
    private readonly context: ServiceContext,
    private readonly engine: SandboxParts['engine'],
  ) {
    this.endpoint = new URL(engine.endpoint);
  }

  handle = async (request: EdgeRequest): Promise<EdgeResponse> => {
    const target = String(request.headers['x-amz-target'] ?? '');
    if (!/^(DynamoDB_20120810|DynamoDBStreams_20120810)\.\w+$/.test(target)) {
      return awsError(
        'json',
        400,
        'UnknownOperationException',
        target ? `unknown operation ${target}` : 'missing X-Amz-Target',
        CORAL,
      );
    }
    if (request.method !== 'POST') {
      return awsError('json', 400, 'UnknownOperationException', 'DynamoDB accepts POST only', CORAL);
    }
    try {
      JSON.parse(request.body.toString('utf8') || '{}');
    } catch {
      return awsError(
        'json',
        400,
        'SerializationException',
        'Start of structure or map found where not expected, or the body is not valid JSON',
        CORAL,
      );
    }
    let response: EdgeResponse;
    try {
      response = await forward(this.endpoint, request, this.engine.instanceId);
    } catch (error) {
      return awsError(
        'json',
        500,
        'InternalServerError',
        `DynamoDB Local: ${(error as Error).message}`,
        DYNAMODB,
      );
    }
    const operation = target.slice(target.indexOf('.') + 1);
    if (response.status === 200 && WRITES.has(operation)) this.engine.noteWrite(request.region);
    if (target === 'DynamoDB_20120810.DescribeTable' && response.status === 200) {
      return withReplicas(response, request.region, this.context);
    }
    return response;
  };
}

/** DescribeTable of the chat table lists every running region's replica, as a Global Table's does. */
function withReplicas(response: EdgeResponse, region: string, context: ServiceContext): EdgeResponse {
  try {
    const parsed = JSON.parse(String(response.body)) as { Table?: Record<string, unknown> };
    const table = parsed.Table;
    if (!table || table.TableName !== names.table(context.topology())) return response;
    const regions = context.regions().map((r) => r.awsRegion);
    if (!regions.includes(region)) return response;
    table.GlobalTableVersion = '2019.11.21';
    table.Replicas = regions.map((RegionName) => ({ RegionName, ReplicaStatus: 'ACTIVE' }));
    return { ...response, body: JSON.stringify(parsed) };
  } catch {
    return response;
  }
}
