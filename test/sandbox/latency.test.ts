import { describe, expect, it } from 'vitest';
import { defaultLagMs, GLOBAL_TABLES_PIPELINE_MS, networkMs, roundTripMs } from '../../sandbox/latency.js';

describe('latency model', () => {
  it('roundTripMs: resembles real inter-region round trips and is symmetric', () => {
    expect(roundTripMs('ap-northeast-2', 'ap-northeast-1')).toBeGreaterThanOrEqual(20);
    expect(roundTripMs('ap-northeast-2', 'ap-northeast-1')).toBeLessThanOrEqual(40);
    expect(roundTripMs('ap-northeast-2', 'us-west-2')).toBeGreaterThanOrEqual(110);
    expect(roundTripMs('ap-northeast-1', 'us-west-2')).toBeLessThanOrEqual(140);
    expect(roundTripMs('us-west-2', 'ap-northeast-2')).toBe(roundTripMs('ap-northeast-2', 'us-west-2'));
    expect(roundTripMs('eu-west-1', 'ap-southeast-2')).toBeGreaterThan(
      roundTripMs('eu-west-1', 'eu-central-1'),
    );
    expect(roundTripMs('us-east-1', 'us-east-1')).toBeLessThan(roundTripMs('us-east-1', 'us-east-2'));
  });

  it('defaultLagMs: half the round trip plus the Global Tables pipeline, so near pairs replicate sooner', () => {
    expect(defaultLagMs('ap-northeast-2', 'ap-northeast-2')).toBe(0);
    expect(GLOBAL_TABLES_PIPELINE_MS).toBeGreaterThanOrEqual(500);
    expect(GLOBAL_TABLES_PIPELINE_MS).toBeLessThanOrEqual(2500);
    expect(defaultLagMs('ap-northeast-2', 'ap-northeast-1')).toBe(717);
    expect(defaultLagMs('ap-northeast-2', 'us-west-2')).toBe(764);
    // A Lambda Invoke between the pair (the network time each way) is far faster than replication, as on AWS.
    expect(2 * networkMs('ap-northeast-2', 'ap-northeast-1')).toBeLessThan(
      defaultLagMs('ap-northeast-2', 'ap-northeast-1') / 10,
    );
    expect(defaultLagMs('ap-northeast-2', 'ap-northeast-1', 15)).toBe(32);
    expect(defaultLagMs('ap-northeast-2', 'ap-northeast-1')).toBeLessThan(
      defaultLagMs('ap-northeast-2', 'us-west-2'),
    );
    expect(defaultLagMs('us-west-2', 'ap-northeast-2')).toBe(defaultLagMs('ap-northeast-2', 'us-west-2'));
  });

  it('networkMs: half the round trip, symmetric, 0 within a region; the default lag is it plus the pipeline', () => {
    expect(networkMs('ap-northeast-2', 'ap-northeast-1')).toBe(16.5);
    expect(networkMs('ap-northeast-2', 'us-west-2')).toBe(roundTripMs('ap-northeast-2', 'us-west-2') / 2);
    expect(networkMs('us-west-2', 'ap-northeast-2')).toBe(networkMs('ap-northeast-2', 'us-west-2'));
    expect(networkMs('ap-northeast-2', 'ap-northeast-2')).toBe(0);
    expect(defaultLagMs('ap-northeast-2', 'us-west-2', 100)).toBe(
      networkMs('ap-northeast-2', 'us-west-2') + 100,
    );
    expect(defaultLagMs('ap-northeast-2', 'ap-northeast-1', 100)).toBe(117);
  });
});
