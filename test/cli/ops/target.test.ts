import { describe, expect, it } from 'vitest';
import { awsTarget, sandboxTarget } from '../../../cli/ops/target.js';
import { defaultTopology } from '../../../core/topology.js';
import type { SandboxState } from '../../../sandbox/state.js';

const topology = defaultTopology();
const state: SandboxState = {
  pid: 1,
  startedAt: '2026-01-01T00:00:00.000Z',
  edge: 'http://127.0.0.1:4566',
  account: '000000000000',
  regions: {},
  china: { url: 'ws://127.0.0.1:4570/prod', distributionId: 'E1' },
  hostedZoneId: 'ZSANDBOX',
  dynamodb: { endpoint: 'http://127.0.0.1:8000', pid: 2 },
  persist: false,
  controlSecret: 'test-secret',
};

describe('target: timing and names decided once', () => {
  it('target: the sandbox polls fast and waits at its scale; its floor is its checker interval times threshold', () => {
    const sandbox = sandboxTarget(
      { ...topology, sandbox: { ...topology.sandbox, healthCheckIntervalSeconds: 1, failureThreshold: 2 } },
      state,
    );
    expect(sandbox.timing).toEqual({
      dnsPollMs: 100,
      shiftFloorMs: 2000,
      shiftTimeoutMs: 15_000,
      chinaPollMs: 100,
      chinaMoveTimeoutMs: 15_000,
      chatTimeoutMs: 8000,
      judgementPeriodSeconds: 10,
      alarmReadSeconds: 1,
      // The runtime's 5 s cache of the load level, unless sandbox.json records the sandbox's own.
      levelCacheMs: 5000,
    });
    expect(sandboxTarget(topology, { ...state, surge: { levelCacheMs: 1000 } }).timing.levelCacheMs).toBe(
      1000,
    );
    expect(sandbox.hostedZoneId).toBe('ZSANDBOX');
    expect(sandbox.resolvesAliases).toBe(false);
    expect(sandbox.chinaProxyUrl('d111.cloudfront.net')).toBe('ws://127.0.0.1:4570/prod');
  });

  it("target: the global name is reached at the region's own gateway in the sandbox, at DNS's answer on AWS", () => {
    const sandbox = sandboxTarget(topology, {
      ...state,
      regions: {
        tokyo: {
          awsRegion: 'ap-northeast-1',
          websocketUrl: 'ws://127.0.0.1:4601/prod',
          healthUrl: 'http://127.0.0.1:4601/health',
          managementUrl: 'http://127.0.0.1:4601',
        },
      },
    });
    expect(sandbox.globalEndpoint('tokyo', ['10.0.0.1'])).toEqual({
      url: 'ws://chat.example.com:4601/prod',
      address: '127.0.0.1',
    });
    expect(awsTarget(topology).globalEndpoint('tokyo', ['203.0.113.7'])).toEqual({
      url: 'wss://chat.example.com/prod',
      address: '203.0.113.7',
    });
  });

  it("target: AWS polls every 2 s, waits 4 floors plus a minute, and reaches the proxy at the distribution's domain", () => {
    const aws = awsTarget({ ...topology, healthCheck: { intervalSeconds: 30, failureThreshold: 3 } });
    expect(aws.timing.dnsPollMs).toBe(2000);
    expect(aws.timing.shiftFloorMs).toBe(90_000);
    expect(aws.timing.shiftTimeoutMs).toBe(90_000 * 4 + 60_000);
    expect(aws.timing.chinaMoveTimeoutMs).toBe(30 * 60_000);
    expect(aws.hostedZoneId).toBe(topology.hostedZone.id);
    expect(aws.resolvesAliases).toBe(true);
    expect(aws.chinaProxyUrl('d111.cloudfront.net')).toBe('wss://d111.cloudfront.net/prod');
    expect(aws.chinaProxyUrl(undefined)).toBeUndefined();
  });
});
