import { CloudWatchClient, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ListHostedZonesCommand, Route53Client } from '@aws-sdk/client-route-53';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Edge, startEdge } from '../../../sandbox/edge.js';
import type { SandboxService } from '../../../sandbox/services/service.js';
import { decodeQuery } from '../../../sandbox/wire/query.js';
import { signaturePolicy } from '../../../sandbox/wire/sigv4.js';

let edge: Edge;

/** Every service on this edge fails as a bug would, with a plain Error. */
const broken = (name: string): SandboxService => ({
  name,
  handle: () => Promise.reject(new Error(`${name} broke`)),
});

beforeAll(async () => {
  const services = new Map(['sts', 'ssm', 'monitoring', 'lambda', 'route53'].map((n) => [n, broken(n)]));
  edge = await startEdge({
    port: 0,
    service: (name) => services.get(name),
    control: async () => ({ status: 404, body: {} }),
    access: () => ({ allowedOrigins: [], controlSecret: 'unused', signatures: signaturePolicy(false) }),
  });
});

afterAll(async () => {
  await edge?.stop();
});

const config = (region = 'us-east-1') => ({
  region,
  endpoint: edge.url,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
});

/** What the unmodified client makes of the answer: the error's name and the HTTP status. */
async function failure(send: () => Promise<unknown>): Promise<[string, number | undefined]> {
  const error = await send().then(
    () => undefined,
    (e: { name: string; $metadata?: { httpStatusCode?: number } }) => e,
  );
  return [error?.name ?? 'no error', error?.$metadata?.httpStatusCode];
}

describe('wire errors', () => {
  it('wire: an unexpected exception is InternalFailure in the protocol the caller spoke', async () => {
    const results = await Promise.all([
      failure(() => new STSClient(config()).send(new GetCallerIdentityCommand({}))),
      failure(() => new SSMClient(config()).send(new GetParameterCommand({ Name: '/x' }))),
      failure(() => new CloudWatchClient(config()).send(new ListMetricsCommand({}))),
      failure(() => new LambdaClient(config()).send(new InvokeCommand({ FunctionName: 'f' }))),
      failure(() => new Route53Client(config()).send(new ListHostedZonesCommand({}))),
    ]);
    // query, JSON 1.1, JSON 1.0 (query-compatible), REST-JSON, REST-XML.
    expect(results).toEqual(Array.from({ length: 5 }, () => ['InternalFailure', 500]));
  });

  it('wire: a query parameter named through __proto__ or constructor is a 400 of the caller, and pollutes nothing', () => {
    for (const body of ['__proto__.polluted=yes', 'A.constructor.prototype.b=1']) {
      const decoding = () =>
        decodeQuery({
          method: 'POST',
          path: '/',
          query: new URLSearchParams(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: Buffer.from(`Action=ListMetrics&${body}`),
          service: 'monitoring',
          region: 'us-east-1',
        });
      expect(decoding).toThrow(expect.objectContaining({ status: 400, code: 'InvalidParameterValue' }));
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).b).toBeUndefined();
  });
});
