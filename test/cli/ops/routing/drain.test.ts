import { GetHealthCheckCommand } from '@aws-sdk/client-route-53';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { route53Client, withClient } from '../../../../cli/ops/aws/clients.js';
import { findHealthCheck } from '../../../../cli/ops/aws/route53.js';
import { chinaStatus } from '../../../../cli/ops/checks/china.js';
import { moveChinaOrigin } from '../../../../cli/ops/routing/china-origin.js';
import { drainRegion, type RoutingChange, restoreRegion } from '../../../../cli/ops/routing/drain.js';
import { drainSafety } from '../../../../cli/ops/routing/observe.js';
import type { Target } from '../../../../cli/ops/target.js';
import { CHINA_ORIGIN_GLOBAL } from '../../../../core/topology.js';
import type { Sandbox } from '../../../../sandbox/index.js';
import { resetRouting, routingSnapshot, startDrillSandbox, whereUsersGo } from '../drill/support.js';

let sandbox: Sandbox;
let target: Target;

beforeAll(async () => {
  ({ sandbox, target } = await startDrillSandbox());
});
afterAll(async () => {
  await sandbox?.stop();
});
afterEach(async () => {
  await resetRouting(target);
});

/** Whether the region's health check is inverted in Route 53 right now. */
async function invertedNow(key: string): Promise<boolean> {
  return withClient(route53Client(target), async (client) => {
    const check = await findHealthCheck(target, client, key);
    const out = await client.send(new GetHealthCheckCommand({ HealthCheckId: check.Id }));
    return out.HealthCheck?.HealthCheckConfig?.Inverted === true;
  });
}

describe('drain and restore against the sandbox', { timeout: 90_000 }, () => {
  it('drain: three drains at once, no region pinned as China origin, six rounds: never fewer than minHealthyRegions serving; each loser changed nothing and says why', async () => {
    // With the China origin following DNS no rule but minHealthyRegions stops a drain: without one lock over
    // the rules' read and the write, all three read "3 serving" and all three drain.
    await moveChinaOrigin(target, CHINA_ORIGIN_GLOBAL, { wait: false });
    const keys = target.topology.regions.map((r) => r.key);
    const min = target.topology.minHealthyRegions;
    expect(keys.length).toBe(3);
    for (let round = 0; round < 6; round++) {
      const results = await Promise.allSettled(keys.map((k) => drainRegion(target, k, { verify: false })));
      const inverted = await Promise.all(keys.map(invertedNow));
      expect(inverted.filter((i) => !i).length, `round ${round}`).toBeGreaterThanOrEqual(min);
      expect(results.filter((r) => r.status === 'fulfilled').length, `round ${round}`).toBe(
        keys.length - min,
      );
      results.forEach((r, i) => {
        // A loser leaves its own health check as it found it (not inverted) and says so.
        expect(inverted[i], `round ${round} ${keys[i]}`).toBe(r.status === 'fulfilled');
        if (r.status === 'rejected') {
          expect(r.reason.name).toBe('UserError');
          expect(r.reason.message).toMatch(/refusing to drain|was put back/);
        }
      });
      await Promise.all(keys.map((k) => restoreRegion(target, k, { verify: false })));
    }
  });

  it('drain: whose DNS does not move is undone and says so (no health check left inverted)', async () => {
    // Every other region drained (forced): Route 53 then answers every record, so tokyo's users stay.
    await drainRegion(target, 'na', { verify: false });
    await drainRegion(target, 'seoul', { verify: false, force: true });
    const error = await drainRegion(target, 'tokyo', { force: true, timeoutMs: 1500 }).catch((e) => e);
    expect(error.name).toBe('UserError');
    expect(error.message).toMatch(
      /DNS did not move tokyo's users .* so the drain was undone: tokyo's health check \S+ is reverted/,
    );
    expect(error.hint).toMatch(/chatctl health/);
    expect(await invertedNow('tokyo')).toBe(false);
  });

  it('china origin: refuses to pin the origin to a drained region; nothing changes', async () => {
    await moveChinaOrigin(target, CHINA_ORIGIN_GLOBAL, { wait: false });
    await drainRegion(target, 'tokyo', { verify: false });
    const error = await moveChinaOrigin(target, 'tokyo', { wait: false }).catch((e) => e);
    expect(error.message).toMatch(/refusing to pin the China proxy's origin to tokyo: tokyo is drained/);
    expect(error.hint).toMatch(/chatctl restore tokyo/);
    expect(await chinaStatus(target)).toMatchObject({ followsDns: true });
  });

  it('china origin: a pin of the region sent while its drain is between the rules and the write waits, then is refused', async () => {
    await moveChinaOrigin(target, CHINA_ORIGIN_GLOBAL, { wait: false });
    let pin: Promise<unknown> | undefined;
    const drained = await drainRegion(target, 'na', {
      verify: false,
      // The drain has read the rules (China follows DNS); the pin is sent now. Without one lock it lands
      // before the drain's write and both happen; with it, it waits for the lock (at most a second here).
      beforeChange: async () => {
        pin = moveChinaOrigin(target, 'na', { wait: false });
        pin.catch(() => {});
        await Promise.race([pin, new Promise((r) => setTimeout(r, 1000))]);
      },
    });
    expect(drained.changed).toBe(true);
    const error = await pin!.then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/refusing to pin the China proxy's origin to na: na is drained/);
    expect(await chinaStatus(target)).toMatchObject({ followsDns: true });
    expect(await invertedNow('na')).toBe(true);
  });

  it('drain: moves the region subnet to another region in TestDNSAnswer; restore brings it back', async () => {
    expect(await whereUsersGo(target, 'tokyo')).toBe('tokyo');
    const drained = await drainRegion(target, 'tokyo');
    expect(drained).toMatchObject({
      action: 'drain',
      region: 'tokyo',
      changed: true,
      inverted: { before: false, after: true },
    });
    expect(drained.dns?.before).toBe('tokyo');
    expect(drained.dns?.after).not.toBe('tokyo');
    expect(await whereUsersGo(target, 'tokyo')).toBe(drained.dns?.after);
    const again = await drainRegion(target, 'tokyo');
    expect(again.changed).toBe(false);
    const restored = await restoreRegion(target, 'tokyo');
    expect(restored).toMatchObject({ action: 'restore', changed: true, dns: { after: 'tokyo' } });
    expect(await whereUsersGo(target, 'tokyo')).toBe('tokyo');
  });

  it('drain: when the region subnet was answered elsewhere before, reports no shift (and never "sydney -> sydney")', async () => {
    // tokyo's probe subnet made seoul's: the answer for it is seoul before and after a drain of tokyo.
    const seoulSubnet = target.topology.regions.find((r) => r.key === 'seoul')!.probeSubnet;
    const regions = target.topology.regions.map((r) =>
      r.key === 'tokyo' ? { ...r, probeSubnet: seoulSubnet } : r,
    );
    const shared: Target = { ...target, topology: { ...target.topology, regions } };
    const drained = await drainRegion(shared, 'tokyo');
    expect(drained.changed).toBe(true);
    expect(drained.dns).toMatchObject({ before: 'seoul', after: 'seoul', shifted: false });
    const restored = await restoreRegion(target, 'tokyo');
    expect(restored.dns).toMatchObject({
      before: expect.not.stringMatching(/^tokyo$/),
      after: 'tokyo',
      shifted: true,
    });
  });

  it('drain: refuses the China origin and says what to run; nothing changes', async () => {
    const before = await routingSnapshot(target);
    const error = await drainRegion(target, 'seoul').catch((e) => e);
    expect(error.message).toMatch(/China proxy's origin/);
    expect(error.hint).toMatch(/chatctl china origin (tokyo|na)/);
    expect(await routingSnapshot(target)).toBe(before);
  });

  it('drain: with the China origin following DNS there is no China rule, and a new client through the proxy follows the drain', async () => {
    const unpinned = await moveChinaOrigin(target, CHINA_ORIGIN_GLOBAL);
    expect(unpinned).toMatchObject({ from: 'seoul', to: CHINA_ORIGIN_GLOBAL, changed: true });
    expect(await chinaStatus(target)).toMatchObject({ followsDns: true, servedBy: 'seoul' });
    const safety = await drainSafety(target, 'seoul');
    expect(safety.problems).toEqual([]);
    expect(safety.chinaOriginSuggestion).toBeUndefined();
    const drained = await drainRegion(target, 'seoul');
    expect(drained.changed).toBe(true);
    // CloudFront resolves chat.<domain> from its edge next to China: the drained region is out of the answer.
    const during = await chinaStatus(target);
    expect(during.servedBy).not.toBe('seoul');
    expect(safety.remaining).toContain(during.servedBy);
    await restoreRegion(target, 'seoul');
    expect((await chinaStatus(target)).servedBy).toBe('seoul');
  });

  it('drain: refuses to take the last healthy region out', async () => {
    await drainRegion(target, 'tokyo', { verify: false });
    await drainRegion(target, 'na', { verify: false });
    const error = await drainRegion(target, 'seoul', { verify: false }).catch((e) => e);
    expect(error.message).toMatch(/would leave 0 healthy region\(s\); the topology requires at least 1/);
    expect(error.hint).toMatch(/chatctl restore (tokyo|na)/);
    expect(await whereUsersGo(target, 'seoul')).toBe('seoul');
  });
});

describe('routing: the one routine and its journal hooks', { timeout: 90_000 }, () => {
  it('drain: beforeChange runs before the health check is inverted, afterChange once it is', async () => {
    const seen: string[] = [];
    const result = await drainRegion(target, 'tokyo', {
      verify: false,
      beforeChange: async (change: RoutingChange) => {
        seen.push(`before ${change.action} changed=${change.changed} inverted=${await invertedNow('tokyo')}`);
      },
      afterChange: async (change: RoutingChange, at: number) => {
        expect(at).toBeGreaterThan(0);
        seen.push(`after ${change.action} inverted=${await invertedNow('tokyo')}`);
      },
    });
    expect(result.changed).toBe(true);
    expect(seen).toEqual(['before drain changed=true inverted=false', 'after drain inverted=true']);
  });

  it('drain: a hook that throws stops the change (a drill that cannot journal does not drain)', async () => {
    const before = await routingSnapshot(target);
    const error = await drainRegion(target, 'tokyo', {
      verify: false,
      beforeChange: () => {
        throw new Error('journal not writable');
      },
    }).catch((e: Error) => e);
    expect((error as Error).message).toBe('journal not writable');
    expect(await routingSnapshot(target)).toBe(before);
    expect(await invertedNow('tokyo')).toBe(false);
  });

  it('restore: of a region that is not drained changes nothing, and afterChange still reports it restored', async () => {
    const changes: RoutingChange[] = [];
    const result = await restoreRegion(target, 'na', {
      verify: false,
      afterChange: (change) => {
        changes.push(change);
      },
    });
    expect(result.changed).toBe(false);
    expect(changes).toEqual([expect.objectContaining({ action: 'restore', region: 'na', changed: false })]);
  });

  it('drain: as a drill, the refusal names no --force (a drill never overrides the safety rules)', async () => {
    await drainRegion(target, 'tokyo', { verify: false });
    await drainRegion(target, 'na', { verify: false });
    const asDrill = await drainRegion(target, 'seoul', { verify: false, command: 'drill' }).catch((e) => e);
    const asDrain = await drainRegion(target, 'seoul', { verify: false }).catch((e) => e);
    expect(asDrill.message).toMatch(/refusing to drain seoul/);
    expect(asDrill.hint).not.toMatch(/--force/);
    expect(asDrain.hint).toMatch(/--force/);
    expect(await whereUsersGo(target, 'seoul')).toBe('seoul');
  });
});
