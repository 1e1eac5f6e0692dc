import { describe, expect, it } from 'vitest';
import { replicationCheckOf } from '../../../../cli/ops/checks/replication.js';
import type { LagPair } from '../../../../cli/ops/checks/replication-model.js';
import {
  chinaStatus,
  exitCodeOf,
  problemsOf,
  type RegionCheck,
  type RegionCheckName,
  type RegionHealth,
  regionStatus,
  verdictOf,
} from '../../../../cli/ops/checks/verdict.js';

const ok = (name: RegionCheckName): RegionCheck => ({ name, status: 'ok', detail: 'fine' });
const allOk = () =>
  (['websocket', 'health', 'route53', 'replica', 'replication', 'relay', 'load'] as const).map(ok);
const region = (key: string, checks = allOk()): RegionHealth => ({
  key,
  awsRegion: 'ap-northeast-2',
  status: regionStatus(checks),
  checks,
});
const chinaOk = { enabled: true, status: 'ok' as const, checks: [] };

describe('health verdict', () => {
  it('regionStatus: all ok is ok, a failed relay is degraded, a failed websocket probe is down', () => {
    expect(regionStatus(allOk())).toBe('ok');
    const relayFails = allOk().map((c) => (c.name === 'relay' ? { ...c, status: 'fail' as const } : c));
    expect(regionStatus(relayFails)).toBe('degraded');
    const loadWarns = allOk().map((c) => (c.name === 'load' ? { ...c, status: 'warn' as const } : c));
    expect(regionStatus(loadWarns)).toBe('degraded');
    const wsFails = allOk().map((c) => (c.name === 'websocket' ? { ...c, status: 'fail' as const } : c));
    expect(regionStatus(wsFails)).toBe('down');
  });

  it('verdictOf: healthy -> 0, degraded -> 1, a down region or no region -> critical 2', () => {
    expect(verdictOf([region('seoul'), region('tokyo')], chinaOk)).toBe('healthy');
    const degraded = allOk().map((c) => (c.name === 'relay' ? { ...c, status: 'fail' as const } : c));
    expect(verdictOf([region('seoul', degraded), region('tokyo')], chinaOk)).toBe('degraded');
    const down = allOk().map((c) => (c.name === 'websocket' ? { ...c, status: 'fail' as const } : c));
    expect(verdictOf([region('seoul', down), region('tokyo', degraded)], chinaOk)).toBe('critical');
    expect(verdictOf([], chinaOk)).toBe('critical');
    expect(verdictOf([region('seoul')], { status: 'down' })).toBe('degraded');
    expect(exitCodeOf('healthy')).toBe(0);
    expect(exitCodeOf('degraded')).toBe(1);
    expect(exitCodeOf('critical')).toBe(2);
  });

  it('problemsOf: every warn and fail has an action naming the region, fails first', () => {
    const checks = allOk().map((c) =>
      c.name === 'replica'
        ? { ...c, status: 'fail' as const, detail: 'replica CREATING' }
        : c.name === 'load'
          ? { ...c, status: 'warn' as const, detail: 'level 2' }
          : c,
    );
    const problems = problemsOf([region('seoul', checks)], {
      enabled: true,
      status: 'degraded',
      checks: [{ name: 'proxy', status: 'fail', detail: 'refused' }],
    });
    expect(problems.map((p) => [p.scope, p.check, p.status])).toEqual([
      ['seoul', 'replica', 'fail'],
      ['china', 'proxy', 'fail'],
      ['seoul', 'load', 'warn'],
    ]);
    expect(problems[0].action).toContain('chatctl replication check');
    expect(problems[2].action).toContain('--region seoul');
    expect(problems.every((p) => p.action.length > 0)).toBe(true);
  });

  it('chinaStatus: skip when disabled, down when the proxy fails', () => {
    expect(chinaStatus({ enabled: false, checks: [] })).toBe('skip');
    expect(chinaStatus({ enabled: true, checks: [{ name: 'proxy', status: 'fail', detail: '' }] })).toBe(
      'down',
    );
    expect(
      chinaStatus({ enabled: true, checks: [{ name: 'distribution', status: 'warn', detail: '' }] }),
    ).toBe('degraded');
  });

  /** A region's checks with its chat path down: websocket and /health fail, the rest pass. */
  const chatDown = () =>
    allOk().map((c) =>
      c.name === 'websocket' || c.name === 'health'
        ? { ...c, status: 'fail' as const, detail: 'HTTP 503' }
        : c,
    );

  it('problemsOf: with the China origin down, no "china origin china" and no bare drain of the origin', () => {
    const china = {
      enabled: true,
      status: 'down' as const,
      origin: 'seoul',
      checks: [{ name: 'proxy' as const, status: 'fail' as const, detail: 'refused' }],
    };
    const problems = problemsOf([region('seoul', chatDown()), region('tokyo'), region('na')], china, {
      chinaOrigin: 'seoul',
      target: 'aws',
    });
    const action = (scope: string, check: string) =>
      problems.find((p) => p.scope === scope && p.check === check)?.action;
    expect(action('china', 'proxy')).toBe(
      'users in China cannot chat: the origin seoul is down; move it to a serving region: chatctl china origin tokyo',
    );
    expect(action('seoul', 'websocket')).toMatch(
      /China proxy's origin, so move that first \(chatctl china origin tokyo\)/,
    );
    expect(problems.map((p) => p.action).join('\n')).not.toMatch(/china origin china/);
    expect(action('seoul', 'health')).toMatch(/look at the health function logs/);
  });

  it('problemsOf: with the origin following DNS, a failing region and proxy give no "china origin" move, only where China users go', () => {
    const china = {
      enabled: true,
      status: 'down' as const,
      followsDns: true,
      checks: [{ name: 'proxy' as const, status: 'fail' as const, detail: 'refused' }],
    };
    const problems = problemsOf([region('seoul', chatDown()), region('tokyo'), region('na')], china, {
      target: 'aws',
    });
    const action = (scope: string, check: string) =>
      problems.find((p) => p.scope === scope && p.check === check)?.action;
    expect(action('china', 'proxy')).toMatch(
      /^users in China reach the region latency DNS gives CloudFront's edge/,
    );
    expect(action('china', 'proxy')).toMatch(/chatctl drain KEY/);
    expect(problems.map((p) => p.action).join('\n')).not.toMatch(/chatctl china origin/);
    expect(action('seoul', 'websocket')).not.toMatch(/China/);
  });

  it('problemsOf: in the sandbox a failure a fault explains names the fault and sandbox heal; no health function logs', () => {
    const down = allOk().map((c) =>
      c.name === 'websocket' || c.name === 'health'
        ? { ...c, status: 'fail' as const, detail: 'HTTP 503' }
        : c,
    );
    const problems = problemsOf([region('tokyo', down), region('seoul')], chinaOk, {
      chinaOrigin: 'seoul',
      target: 'sandbox',
      sandboxFaults: [{ region: 'tokyo', fault: 'gateway-down' }],
    });
    const health = problems.find((p) => p.check === 'health')?.action;
    expect(health).toBe('in this sandbox it is the fault gateway-down on tokyo: chatctl sandbox heal tokyo');
    expect(problems.find((p) => p.check === 'websocket')?.action).toMatch(
      /chatctl drain tokyo; in this sandbox it is the fault gateway-down on tokyo: chatctl sandbox heal tokyo$/,
    );
    // No fault that explains it: the sandbox's own log, not a log that does not exist there.
    const unexplained = problemsOf([region('tokyo', down)], chinaOk, {
      target: 'sandbox',
      sandboxFaults: [],
    });
    expect(unexplained.find((p) => p.check === 'health')?.action).toBe(
      'its /health fails (watched; Route 53 routes by the canary judges, see route53): see what its handlers did: chatctl sandbox logs --region tokyo',
    );
  });
});

describe('health replication attribution', () => {
  const keys = ['seoul', 'tokyo', 'na'];
  const pair = (from: string, to: string, status: 'ok' | 'warn' | 'fail'): LagPair => ({
    from,
    to,
    seen: status === 'fail' ? 0 : 1,
    timeouts: status === 'fail' ? 1 : 0,
    maxMs: status === 'fail' ? undefined : status === 'warn' ? 3000 : 40,
    p50Ms: status === 'fail' ? undefined : status === 'warn' ? 3000 : 40,
    status,
    detail: status === 'fail' ? 'not replicated within 4000 ms (paused or broken)' : 'lag',
  });
  const all = (status: (from: string, to: string) => 'ok' | 'warn' | 'fail') =>
    keys.flatMap((from) => keys.filter((to) => to !== from).map((to) => pair(from, to, status(from, to))));

  it('replicationCheckOf: a paused region fails, the others stay ok and point at it', () => {
    const pairs = all((from, to) => (from === 'seoul' || to === 'seoul' ? 'fail' : 'ok'));
    const seoul = replicationCheckOf('seoul', keys, pairs, 10);
    expect(seoul.status).toBe('fail');
    expect(seoul.detail).toMatch(/^every pair in and out of seoul fails/);
    expect(seoul.action).toMatch(/looks paused or broken/);
    const tokyo = replicationCheckOf('tokyo', keys, pairs, 10);
    expect(tokyo.status).toBe('ok');
    expect(tokyo.detail).toMatch(/pairs with seoul fail there/);
  });

  it('replicationCheckOf: when every pair is slow, each pair is told once, under its source', () => {
    const pairs = all(() => 'warn');
    const details = keys.map((k) => replicationCheckOf(k, keys, pairs, 10));
    expect(details.map((d) => d.status)).toEqual(['warn', 'warn', 'warn']);
    expect(details[0].detail).toBe('seoul->tokyo lag; seoul->na lag');
    expect(details[0].action).toBe('see: chatctl replication check');
  });
});
