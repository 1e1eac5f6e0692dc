// The strict edge (--verify-signatures) against a second, independent SigV4 signer: botocore's, as boto3 and
// the AWS CLI sign. CloudWatch in each of its three wire protocols (JSON 1.0, Smithy RPC v2 CBOR, query),
// STS (query) and DynamoDB (JSON). The JS SDK's signing is covered by every other sandbox test.
import { execFile, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../../sandbox/index.js';
import { startTestSandbox, TEST_CREDENTIALS } from '../support.js';

const run = promisify(execFile);
const script = resolve('test/sandbox/wire/botocore-client.py');
const probe = spawnSync('python3', ['-c', 'import boto3'], { encoding: 'utf8' });
const boto3Missing = probe.status !== 0;
if (boto3Missing) {
  console.warn(
    `sigv4 botocore test skipped: python3 with boto3 is not on this machine (${probe.error ?? probe.stderr.trim()})`,
  );
}

type Report = Record<string, { ok: boolean; contentType?: string; code?: string; result?: unknown }>;

async function botocore(edge: string, secret: string): Promise<Report> {
  const { stdout } = await run('python3', [script, edge, secret], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    },
    timeout: 60_000,
  });
  return JSON.parse(stdout) as Report;
}

describe.skipIf(boto3Missing)('sigv4 with botocore', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('sigv4: the strict edge accepts what botocore signs: CloudWatch in JSON, CBOR and query, STS, DynamoDB', async () => {
    const report = await botocore(sandbox.edge, TEST_CREDENTIALS.secretAccessKey);
    const failed = Object.entries(report).filter(([, r]) => !r.ok);
    expect(failed).toEqual([]);
    expect(report['json:PutMetricData'].contentType).toBe('application/x-amz-json-1.0');
    expect(report['smithy-rpc-v2-cbor:PutMetricData'].contentType).toBe('application/cbor');
    expect(report['query:PutMetricData'].contentType).toMatch(/^application\/x-www-form-urlencoded/);
    // Signed, accepted, and understood: the metric is stored with its name and dimension as sent.
    for (const protocol of ['json', 'smithy-rpc-v2-cbor', 'query']) {
      expect(report[`${protocol}:ListMetrics`].result).toEqual([
        ['Sent Messages', [{ Name: 'Room Name', Value: 'a b/c~d*e+f 방' }]],
      ]);
    }
  }, 90_000);

  it('sigv4: what botocore signs with a wrong secret is refused in every protocol', async () => {
    const report = await botocore(sandbox.edge, 'not-the-secret');
    const codes = Object.fromEntries(Object.entries(report).map(([name, r]) => [name, r.code]));
    for (const [name, code] of Object.entries(codes)) {
      expect([name, code]).toEqual([
        name,
        expect.stringMatching(/^(SignatureDoesNotMatch|InvalidSignatureException)$/),
      ]);
    }
    expect(Object.keys(codes)).toHaveLength(11);
  }, 90_000);
});
