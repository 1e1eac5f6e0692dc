import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { relayTest } from '../../../../cli/ops/checks/relay-test.js';
import { sandboxTarget, type Target } from '../../../../cli/ops/target.js';
import { isUserError } from '../../../../core/errors.js';
import { defaultTopology } from '../../../../core/topology.js';
import { type Sandbox, start } from '../../../../sandbox/index.js';

const topology = defaultTopology();
let sandbox: Sandbox;
let target: Target;

beforeAll(async () => {
  sandbox = await start(topology, {
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    instanceId: `relay${randomBytes(5).toString('hex')}`,
    lag: 30,
    globalServices: false,
    pollIntervalMs: 10,
  });
  target = sandboxTarget(topology, sandbox.state);
});

afterAll(async () => {
  await sandbox?.stop();
});

describe('relay test against the sandbox', () => {
  it('relay test: zero loss and no duplicates both ways; latency includes the configured delay', async () => {
    const DELAY = 150;
    sandbox.faults.inject('na', `latency=${DELAY}`);
    try {
      const result = await relayTest(target, { from: 'seoul', to: 'na', messages: 8, timeoutMs: 15_000 });
      expect(result.problems).toEqual([]);
      expect(result.verdict).toBe('healthy');
      expect(result.deliveries.map((d) => [d.kind, d.from, d.to])).toEqual([
        ['relay', 'seoul', 'na'],
        ['baseline', 'seoul', 'seoul'],
        ['relay', 'na', 'seoul'],
        ['baseline', 'na', 'na'],
      ]);
      for (const d of result.deliveries) {
        expect(d, `${d.kind} ${d.from}->${d.to}`).toMatchObject({
          sent: 8,
          received: 8,
          lost: 0,
          duplicates: 0,
        });
        expect(d.p99Ms!).toBeGreaterThanOrEqual(d.p50Ms!);
      }
      // A message sent in na passes na's gateway delay before anything else happens.
      const fromNa = result.deliveries.find((d) => d.kind === 'relay' && d.from === 'na')!;
      expect(fromNa.p50Ms!).toBeGreaterThanOrEqual(DELAY);
    } finally {
      sandbox.faults.heal('na');
    }
  });

  it('relay test: a failing relay in the destination shows as lost messages, verdict degraded', async () => {
    sandbox.faults.inject('tokyo', 'relay-error');
    // The sandbox's handlers log each failed relay, as Lambda would; the test checks those lines, unprinted.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const result = await relayTest(target, { from: 'seoul', to: 'tokyo', messages: 3, timeoutMs: 2500 });
      const intoTokyo = result.deliveries.find((d) => d.kind === 'relay' && d.to === 'tokyo')!;
      expect(intoTokyo.lost).toBe(3);
      const baseline = result.deliveries.find((d) => d.kind === 'baseline' && d.from === 'seoul')!;
      expect(baseline.lost).toBe(0);
      expect(result.verdict).toBe('degraded');
      expect(result.problems.some((p) => p.scope === 'seoul->tokyo' && p.check === 'relay')).toBe(true);
      const relayed = warn.mock.calls.map(String).filter((line) => line.startsWith('relay to tokyo failed'));
      expect(relayed.length).toBeGreaterThanOrEqual(3);
      expect(relayed.every((line) => /injected fault: relay-error in tokyo/.test(line))).toBe(true);
    } finally {
      warn.mockRestore();
      sandbox.faults.heal('tokyo');
    }
  });

  it('relay test: a region that refuses connections makes the verdict critical', async () => {
    sandbox.faults.inject('na', 'gateway-down');
    try {
      const result = await relayTest(target, { from: 'seoul', to: 'na', messages: 2, timeoutMs: 3000 });
      expect(result.verdict).toBe('critical');
      expect(result.deliveries).toEqual([]);
      expect(result.problems[0]).toMatchObject({ check: 'connect', status: 'fail' });
      expect(result.problems[0].message).toMatch(/503|unavailable/i);
    } finally {
      sandbox.faults.heal('na');
    }
  });

  it('relay test: the same region twice is a user error', async () => {
    const error = await relayTest(target, { from: 'seoul', to: 'seoul' }).catch((e: unknown) => e);
    expect(isUserError(error)).toBe(true);
  });
});
