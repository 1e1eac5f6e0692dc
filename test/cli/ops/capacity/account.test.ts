// GetAccountSettings is not served by the sandbox yet, so this test answers it with a plain local HTTP
// server: the mock the charter allows for an AWS call the sandbox cannot serve. The client is the real SDK.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAccountConcurrency } from '../../../../cli/ops/capacity/account.js';
import { isUserError } from '../../../../core/errors.js';
import { defaultTopology } from '../../../../core/topology.js';

let server: Server;
let endpoint: string;
const seen: { method?: string; url?: string; region?: string }[] = [];
const LIMITS: Record<string, number> = { 'ap-northeast-2': 3000, 'ap-northeast-1': 1000, 'us-west-2': 400 };

beforeAll(async () => {
  server = createServer((req, res) => {
    const region = /Credential=[^/]+\/\d+\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1];
    seen.push({ method: req.method, url: req.url, region });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        AccountLimit: {
          ConcurrentExecutions: LIMITS[region ?? ''] ?? 1000,
          UnreservedConcurrentExecutions: 900,
        },
        AccountUsage: {},
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };

describe('capacity account settings', () => {
  it("readAccountConcurrency: reads each region's Lambda concurrency quota with GetAccountSettings", async () => {
    const limits = await readAccountConcurrency(defaultTopology({ target: 'aws' }), (region) => ({
      region,
      endpoint,
      credentials,
      maxAttempts: 1,
    }));
    expect(limits).toEqual(LIMITS);
    expect(seen.every((s) => s.method === 'GET' && s.url?.startsWith('/2016-08-19/account-settings'))).toBe(
      true,
    );
    expect(new Set(seen.map((s) => s.region))).toEqual(new Set(Object.keys(LIMITS)));
  });

  it('readAccountConcurrency: an endpoint that does not answer becomes a sentence saying what to do', async () => {
    const nowhere = 'http://127.0.0.1:9';
    const error = await readAccountConcurrency(defaultTopology({ target: 'aws' }), (region) => ({
      region,
      endpoint: nowhere,
      credentials,
      maxAttempts: 1,
    })).catch((e: unknown) => e);
    expect(isUserError(error)).toBe(true);
    expect((error as Error).message).toMatch(/reading Lambda's account settings in .*: nothing answers/);
  });
});
