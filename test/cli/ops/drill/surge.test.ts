// The surge drill against a sandbox whose connect lane is 1 wide: an earthquake of logins throttles the lane,
// the controller raises the level and sheds new connections (429) while send keeps answering, the level comes
// back to 0, and the auto-off run (same load) sheds nothing. Short runs: the figures are the bench's job.
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSurgeDrill } from '../../../../cli/ops/drill/surge.js';
import { writeSurgeReport } from '../../../../cli/ops/drill/surge-report.js';
import { sandboxTarget, type Target } from '../../../../cli/ops/target.js';
import { defaultTopology } from '../../../../core/topology.js';
import { createChatApp } from '../../../../runtime/app.js';
import type { Sandbox } from '../../../../sandbox/index.js';
import { startTestSandbox } from '../../../sandbox/support.js';

let sandbox: Sandbox;
let target: Target;

beforeAll(async () => {
  const topology = { ...defaultTopology(), lanes: { ...defaultTopology().lanes, connect: 1 } };
  sandbox = await startTestSandbox(
    {
      surge: { intervalMs: 150, coolDownMs: 300 },
      metricsIntervalMs: 200,
      // The handlers read the level through a 200 ms cache (5 s on Lambda), so a 3 s run sees its shedding.
      createApp: (config, deps) => createChatApp(config, { ...deps, loadCacheMs: 200 }),
    },
    topology,
  );
  target = sandboxTarget(sandbox.topology, sandbox.state);
});
afterAll(async () => {
  await sandbox?.stop();
});

describe('drill surge', { timeout: 120_000 }, () => {
  it('drill surge: refuses an AWS target', async () => {
    await expect(runSurgeDrill({ ...target, kind: 'aws' } as Target, { region: 'tokyo' })).rejects.toThrow(
      /sandbox only/,
    );
  });

  it('drill surge: earthquake passes with auto on (connects shed, send p99 under the threshold, back to 0) and sheds nothing with auto off', async () => {
    const result = await runSurgeDrill(target, {
      region: 'tokyo',
      profile: 'earthquake',
      durationMs: 3000,
      recoveryMs: 15_000,
      caps: { cores: 1, connections: 8, sendsPerSecond: 20, loginsPerSecond: 40 },
      levelCacheMs: 200,
    });
    expect(result.notes[0]).toMatch(
      /^capped for this machine \(1 cores\): 4 connections, 4 sends\/s, 40 logins\/s/,
    );
    const { autoOn, autoOff } = result.runs;
    expect(result.reasons).toEqual([]);
    expect(result.verdict).toBe('passed');
    expect(autoOn.peakLevel).toBe(3);
    expect(autoOn.levels.some((l) => l.level === 3 && l.setBy === 'auto')).toBe(true);
    expect(autoOn.summary.connectShedRate).toBeGreaterThan(0);
    expect(autoOn.summary.ackP99Ms).toBeLessThan(result.thresholdMs);
    expect(autoOn.recoveredAfterS).not.toBeNull();
    expect(autoOn.lanes.find((l) => l.route === 'connect')?.throttles).toBeGreaterThan(0);
    expect(autoOn.lanes.find((l) => l.route === 'connect')?.peakConcurrency).toBeLessThanOrEqual(1);
    expect(autoOff.peakLevel).toBe(0);
    expect(autoOff.summary.connectShedRate).toBe(0);
    expect(autoOn.timeline.length).toBe(3);

    const file = join(tmpdir(), `surge-${Date.now()}`, 'report.md');
    const written = await writeSurgeReport(file, result);
    expect(await readFile(written.markdown as string, 'utf8')).toMatch(
      /^# Surge drill: tokyo, earthquake\n\nVerdict: \*\*passed\*\*/,
    );
    expect(await readFile(written.svg as string, 'utf8')).toMatch(
      /^<svg [^>]+>[\s\S]*<polyline[\s\S]*<\/svg>\n$/,
    );
    expect(JSON.parse(await readFile(written.json, 'utf8')).verdict).toBe('passed');
    // The drill put tokyo's auto setting back (it was never on).
    const { trafficStatus } = await import('../../../../cli/ops/traffic/index.js');
    expect((await trafficStatus(target, { region: 'tokyo' })).regions[0].auto.enabled).toBe(false);
  });
});
