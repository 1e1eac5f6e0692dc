// The sandbox answers GetAccountSettings with the quota it was started with; the client is the real SDK.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAccountConcurrency } from '../../../../cli/ops/capacity/account.js';
import { resolveCapacityInput } from '../../../../cli/ops/capacity/input.js';
import { planCapacity } from '../../../../cli/ops/capacity/plan.js';
import { isUserError } from '../../../../core/errors.js';
import { defaultTopology } from '../../../../core/topology.js';
import type { Sandbox } from '../../../../sandbox/index.js';
import { clientConfig, startTestSandbox } from '../../../sandbox/support.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox({ lambdaConcurrency: 400 });
});

afterAll(async () => {
  await sandbox?.stop();
});

describe('capacity account settings', () => {
  it("readAccountConcurrency: reads each region's Lambda concurrency quota, and the plan's verdict uses it", async () => {
    const topology = defaultTopology();
    const limits = await readAccountConcurrency(topology, (region) => clientConfig(sandbox, region));
    expect(limits).toEqual({ 'ap-northeast-2': 400, 'ap-northeast-1': 400, 'us-west-2': 400 });
    // 80,000 messages/s needs about 450 executions per region (the lanes and the 100 kept unreserved): ok
    // under the default 1,000, over this account's 400.
    const input = resolveCapacityInput(topology, { peakMsgs: 80_000 });
    const verdictWith = (accountConcurrency?: Record<string, number>) =>
      planCapacity(topology, input, { accountConcurrency }).quotas.find(
        (q) => q.region === 'seoul' && q.quota === 'lambdaConcurrency',
      );
    expect(verdictWith()).toMatchObject({ limit: 1000, limitFrom: 'default', verdict: 'ok' });
    expect(verdictWith(limits)).toMatchObject({ limit: 400, limitFrom: 'account', verdict: 'over' });
  });

  it('readAccountConcurrency: an endpoint that does not answer becomes a sentence saying what to do', async () => {
    const error = await readAccountConcurrency(defaultTopology({ target: 'aws' }), (region) => ({
      region,
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      maxAttempts: 1,
    })).catch((e: unknown) => e);
    expect(isUserError(error)).toBe(true);
    expect((error as Error).message).toMatch(/Lambda concurrency quota in .*: nothing answers/);
  });
});
