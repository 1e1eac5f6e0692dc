import { describe, expect, it } from 'vitest';
import {
  assertSafe,
  checkDrainSafety,
  confirmForce,
  type RegionRoutingState,
} from '../../../../cli/ops/routing/safety.js';
import { isUserError } from '../../../../core/errors.js';
import { defaultTopology } from '../../../../core/topology.js';

const topology = defaultTopology();
const up = (key: string): RegionRoutingState => ({ key, healthy: true, inverted: false });
const allUp = ['seoul', 'tokyo', 'na'].map(up);
/** The China origin pinned to seoul, with no failover origin. */
const noChina = { enabled: true, origin: 'seoul', followsDns: false, failoverOrigins: [] as string[] };

describe('drain safety rules', () => {
  it('safety: draining one of three healthy regions is allowed', () => {
    const verdict = checkDrainSafety({ topology, key: 'tokyo', regions: allUp, china: noChina });
    expect(verdict.ok).toBe(true);
    expect(verdict.remaining).toEqual(['seoul', 'na']);
  });

  it('safety: refuses to drain the last healthy region and says what to restore', () => {
    const regions = [
      up('seoul'),
      { key: 'tokyo', healthy: true, inverted: true },
      { key: 'na', healthy: false, inverted: false },
    ];
    const verdict = checkDrainSafety({
      topology: { ...topology, minHealthyRegions: 1 },
      key: 'seoul',
      regions,
      china: { enabled: false, followsDns: false, failoverOrigins: [] },
    });
    expect(verdict.ok).toBe(false);
    const rule = verdict.problems.find((p) => p.rule === 'min-healthy');
    expect(rule?.message).toMatch(/would leave 0 healthy region/);
    expect(rule?.message).toMatch(/drained: tokyo; unhealthy: na/);
    expect(rule?.hint).toBe('restore a drained region first: chatctl restore tokyo');
  });

  it('safety: minHealthyRegions 2 refuses a drain that leaves one', () => {
    const regions = [up('seoul'), up('tokyo'), { key: 'na', healthy: false, inverted: false }];
    const verdict = checkDrainSafety({
      topology: { ...topology, minHealthyRegions: 2 },
      key: 'tokyo',
      regions,
    });
    expect(verdict.problems.map((p) => p.rule)).toEqual(['min-healthy']);
  });

  it('safety: a disabled health check counts as healthy, an inverted one does not', () => {
    const regions = [
      up('seoul'),
      { key: 'tokyo', healthy: false, inverted: false, disabled: true },
      { key: 'na', healthy: true, inverted: true },
    ];
    const verdict = checkDrainSafety({ topology, key: 'seoul', regions });
    expect(verdict.serving).toEqual(['seoul', 'tokyo']);
    expect(verdict.ok).toBe(true);
  });

  it('safety: refuses to drain the China origin and names the command to move it', () => {
    const verdict = checkDrainSafety({ topology, key: 'seoul', regions: allUp, china: noChina });
    expect(verdict.ok).toBe(false);
    expect(verdict.problems[0].rule).toBe('china-origin');
    expect(verdict.problems[0].hint).toBe(
      'let it follow DNS (chatctl china origin global), or move it first: chatctl china origin tokyo',
    );
    const drill = checkDrainSafety({
      topology,
      key: 'seoul',
      regions: allUp,
      china: noChina,
      command: 'drill',
    });
    expect(drill.problems[0].hint).toMatch(/--move-china-origin .*tokyo.*chatctl china origin tokyo/);
  });

  it('safety: the China origin may go with --move-china-origin or a failover origin', () => {
    expect(
      checkDrainSafety({ topology, key: 'seoul', regions: allUp, china: noChina, moveChinaOrigin: true }).ok,
    ).toBe(true);
    const withFailover = { enabled: true, origin: 'seoul', followsDns: false, failoverOrigins: ['na'] };
    expect(checkDrainSafety({ topology, key: 'seoul', regions: allUp, china: withFailover }).ok).toBe(true);
    expect(
      checkDrainSafety({ topology, key: 'seoul', regions: allUp, china: { ...noChina, enabled: false } }).ok,
    ).toBe(true);
  });

  it('safety: an origin that follows DNS (chat.<domain>) needs no rule: China users follow the drain', () => {
    const follows = { enabled: true, followsDns: true, failoverOrigins: [] as string[] };
    const verdict = checkDrainSafety({ topology, key: 'seoul', regions: allUp, china: follows });
    expect(verdict).toMatchObject({ ok: true, problems: [], remaining: ['tokyo', 'na'] });
    expect(verdict.chinaOriginSuggestion).toBeUndefined();
  });

  it('safety: the suggested China origin is the home region when it serves, else the first serving one', () => {
    const home = checkDrainSafety({
      topology: { ...topology, homeRegion: 'na' },
      key: 'seoul',
      regions: allUp,
      china: noChina,
    });
    expect(home.chinaOriginSuggestion).toBe('na');
    const regions = [up('seoul'), { key: 'tokyo', healthy: false, inverted: false }, up('na')];
    expect(checkDrainSafety({ topology, key: 'seoul', regions, china: noChina }).chinaOriginSuggestion).toBe(
      'na',
    );
  });

  it('safety: an already drained region is reported, with the restore command', () => {
    const regions = [up('seoul'), { key: 'tokyo', healthy: false, inverted: true }, up('na')];
    const verdict = checkDrainSafety({ topology, key: 'tokyo', regions });
    expect(verdict.problems.map((p) => p.hint)).toContain('to put it back: chatctl restore tokyo');
  });

  it('assertSafe: throws a UserError listing every broken rule', () => {
    const regions = [
      up('seoul'),
      { key: 'tokyo', healthy: false, inverted: false },
      { key: 'na', healthy: false, inverted: false },
    ];
    const verdict = checkDrainSafety({ topology, key: 'seoul', regions, china: noChina });
    let thrown: unknown;
    try {
      assertSafe(verdict, 'seoul', { forceHint: true });
    } catch (error) {
      thrown = error;
    }
    expect(isUserError(thrown)).toBe(true);
    expect((thrown as Error).message).toMatch(
      /refusing to drain seoul:\n {2}- draining "seoul" would leave 0/,
    );
    expect((thrown as Error).message).toMatch(/China proxy's origin/);
    expect((thrown as { hint: string }).hint).toMatch(/--force/);
  });
});

describe('--force confirmation', () => {
  it('confirmForce: refuses without a TTY and never asks', async () => {
    let asked = false;
    const io = {
      isTTY: false,
      ask: async () => {
        asked = true;
        return 'seoul';
      },
    };
    await expect(confirmForce('seoul', io)).rejects.toThrow(/needs the region key typed back at a terminal/);
    expect(asked).toBe(false);
  });

  it('confirmForce: on a TTY accepts only the key typed back', async () => {
    await expect(
      confirmForce('seoul', { isTTY: true, ask: async () => ' seoul\n' }),
    ).resolves.toBeUndefined();
    await expect(confirmForce('seoul', { isTTY: true, ask: async () => 'tokyo' })).rejects.toThrow(
      /did not match/,
    );
  });
});
