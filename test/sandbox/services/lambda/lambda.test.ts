/**
 * The sandbox's Lambda on a default sandbox (the default replication lag, ~717 ms seoul -> tokyo): a
 * cross-region Invoke from a region's handlers takes the network time between the regions, not that lag.
 * Through the unmodified AWS SDK Lambda client, on the endpoint the seoul handlers call.
 */
import { InvokeCommand, type InvokeCommandInput, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../../../sandbox/index.js';
import { networkMs } from '../../../../sandbox/latency.js';
import { clientConfig, startTestSandbox } from '../../support.js';

let sandbox: Sandbox;
/** A Lambda client in Tokyo as the seoul handlers have it (their AWS endpoint names them as the caller). */
let fromSeoul: LambdaClient;
/** Seoul (ap-northeast-2) to Tokyo (ap-northeast-1), one way: 16.5 ms. */
const NETWORK_MS = networkMs('ap-northeast-2', 'ap-northeast-1');
/** setTimeout and the clock may each round a millisecond. */
const CLOCK_MS = 2;

beforeAll(async () => {
  sandbox = await startTestSandbox({ lag: undefined });
  const endpoint = sandbox.regions.get('seoul')!.config.awsEndpoint;
  expect(endpoint).toBe(`${sandbox.edge}/_from/seoul`);
  fromSeoul = new LambdaClient({ ...clientConfig(sandbox, 'ap-northeast-1'), endpoint });
  // The client's first call loads and connects; within a region no delay is added.
  await new LambdaClient({ ...clientConfig(sandbox, 'ap-northeast-2'), endpoint }).send(invoke('seoul'));
});

afterAll(async () => {
  await sandbox?.stop();
});

function invoke(region: string, type: InvokeCommandInput['InvocationType'] = 'RequestResponse') {
  return new InvokeCommand({
    FunctionName: `chat-${region}-relay`,
    InvocationType: type,
    Payload: Buffer.from(JSON.stringify({ dryRun: true })),
  });
}

/** How long each of `n` Invokes from seoul took, ms. */
async function timed(n: number, type?: InvokeCommandInput['InvocationType']): Promise<number[]> {
  const took: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const result = await fromSeoul.send(invoke('tokyo', type));
    took.push(performance.now() - started);
    expect(result.StatusCode).toBe(type === 'Event' ? 202 : 200);
  }
  return took;
}

describe('lambda', () => {
  it('lambda: a cross-region Invoke takes the network time each way, not the replication lag', async () => {
    expect(sandbox.replication.lagMs('seoul', 'tokyo')).toBeGreaterThan(700);
    // Request and answer each cross the network: never quicker than twice the one-way time. The best of
    // three is well below the replication lag (a loaded machine may stall one call, not all three).
    const answered = await timed(3);
    for (const ms of answered) expect(ms).toBeGreaterThanOrEqual(2 * NETWORK_MS - CLOCK_MS);
    expect(Math.min(...answered)).toBeLessThan(300);
    // An Event invoke's 202 crosses back too (the function starts once the request has arrived).
    const queued = await timed(3, 'Event');
    for (const ms of queued) expect(ms).toBeGreaterThanOrEqual(2 * NETWORK_MS - CLOCK_MS);
    expect(Math.min(...queued)).toBeLessThan(300);
  });

  it('lambda: a latency fault in either region adds to a cross-region Invoke each way', async () => {
    for (const region of ['seoul', 'tokyo']) {
      sandbox.faults.inject(region, 'latency=150');
      try {
        const [ms] = await timed(1);
        expect(ms, region).toBeGreaterThanOrEqual(2 * (NETWORK_MS + 150) - CLOCK_MS);
        expect(ms, region).toBeLessThan(2 * (NETWORK_MS + 150) + 600);
      } finally {
        sandbox.faults.heal(region, 'latency');
      }
    }
    // Healed, it is the network time again.
    expect(Math.min(...(await timed(3)))).toBeLessThan(300);
  });
});
