import { describe, expect, it } from 'vitest';
import { NEAR_SHARE, QUOTAS, requestValue, verdict } from '../../../../cli/ops/capacity/quotas.js';

describe('capacity quotas', () => {
  it('verdict: ok just under 80% of the quota, near from 80% up to the quota itself, over just above it', () => {
    expect(NEAR_SHARE).toBe(0.8);
    expect(verdict(0, 500)).toBe('ok');
    expect(verdict(399.99, 500)).toBe('ok');
    expect(verdict(400, 500)).toBe('near');
    expect(verdict(499.99, 500)).toBe('near');
    expect(verdict(500, 500)).toBe('near');
    expect(verdict(500.01, 500)).toBe('over');
    expect(verdict(1e9, 10_000)).toBe('over');
  });

  it('requestValue: asks for enough that the need sits under the near line, rounded up to two digits', () => {
    expect(requestValue(1977)).toBe(2500);
    expect(requestValue(400)).toBe(500);
    expect(requestValue(1_443_497)).toBe(1_900_000);
    expect(verdict(1977, requestValue(1977))).toBe('ok');
    for (const need of [1, 7, 99, 12_345, 987_654]) expect(verdict(need, requestValue(need))).toBe('ok');
  });

  it('quotas: carry the exact Service Quotas names and codes with their documented defaults', () => {
    const named = (key: keyof typeof QUOTAS) => [
      QUOTAS[key].name,
      QUOTAS[key].code,
      QUOTAS[key].defaultValue,
    ];
    expect(named('wsConnectRate')).toEqual(['WebSocket new connections rate', 'L-9ED1E49A', 500]);
    expect(named('apiThrottle')).toEqual(['Throttle rate', 'L-8A5B8E43', 10_000]);
    expect(named('lambdaConcurrency')).toEqual(['Concurrent executions', 'L-B99A9384', 1000]);
    expect(named('tableWrites')).toEqual(['Table-level write throughput limit', 'L-AB614373', 40_000]);
    expect(named('tableReads')).toEqual(['Table-level read throughput limit', 'L-CF0CBE56', 40_000]);
  });
});
