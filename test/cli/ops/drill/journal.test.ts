import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquireDrillLock,
  type DrillJournal,
  journalPath,
  newDrillId,
  releaseDrillLock,
  writeJournal,
} from '../../../../cli/ops/drill/journal.js';
import { markdownReport, resultOf, writeReport } from '../../../../cli/ops/drill/report.js';
import { drillStatus } from '../../../../cli/ops/drill/status.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chatctl-drills-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function journal(id: string, overrides: Partial<DrillJournal> = {}): DrillJournal {
  return {
    id,
    kind: 'failover',
    region: 'tokyo',
    target: 'sandbox',
    pid: process.pid,
    host: hostname(),
    startedAt: '2026-01-01T00:00:00.000Z',
    dryRun: false,
    holdMs: 1000,
    state: 'running',
    changes: { drained: true, restored: false },
    steps: [
      {
        name: 'preflight',
        title: 'Preflight',
        status: 'passed',
        startedAt: '2026-01-01T00:00:00.000Z',
        endedAt: '2026-01-01T00:00:01.500Z',
        detail: 'ok | fine',
      },
      { name: 'hold', title: 'Hold', status: 'running', startedAt: '2026-01-01T00:00:02.000Z' },
    ],
    ...overrides,
  };
}

describe('drill journal and lock', () => {
  it('lock: a second drill is refused while the first runs', async () => {
    const first = newDrillId('tokyo');
    await writeJournal(dir, journal(first));
    await acquireDrillLock(dir, first);
    await expect(acquireDrillLock(dir, newDrillId('na'))).rejects.toThrow(
      /is running \(pid \d+\); one drill at a time/,
    );
    await releaseDrillLock(dir, first);
  });

  it('lock: after a crash (process gone) a new drill is refused until drill abort', async () => {
    const id = 'crashed';
    await writeJournal(dir, journal(id, { pid: 2 ** 22 + 12345 }));
    await writeFile(join(dir, 'active'), JSON.stringify({ id, pid: 2 ** 22 + 12345, host: hostname() }));
    const error = await acquireDrillLock(dir, 'next').catch((e) => e);
    expect(error.message).toMatch(/did not finish: its process is gone/);
    expect(error.hint).toMatch(/chatctl drill abort/);
  });

  it('lock: a lock left by a finished drill is taken over', async () => {
    await writeJournal(dir, journal('old', { state: 'finished', verdict: 'passed' }));
    await writeFile(join(dir, 'active'), JSON.stringify({ id: 'old', pid: 1, host: hostname() }));
    await acquireDrillLock(dir, 'new');
    expect(JSON.parse(await readFile(join(dir, 'active'), 'utf8')).id).toBe('new');
  });

  it('drill status: lists an interrupted drill with what it left changed', async () => {
    await writeJournal(dir, journal('dead', { pid: 2 ** 22 + 54321 }));
    await writeJournal(
      dir,
      journal('done', { state: 'finished', verdict: 'passed', changes: { drained: true, restored: true } }),
    );
    const status = await drillStatus({ dir });
    expect(status.unfinished).toHaveLength(1);
    expect(status.unfinished[0]).toMatchObject({
      id: 'dead',
      state: 'interrupted',
      pending: ['tokyo drained'],
      currentStep: 'hold',
    });
    expect(status.recent.map((d) => d.id)).toEqual(['done']);
  });

  it('report: Markdown and JSON carry every step with its times', async () => {
    const j = journal('r1', {
      state: 'finished',
      verdict: 'passed',
      timeToShiftMs: 1200,
      timeToRestoreMs: 900,
      shiftedTo: 'seoul',
    });
    const result = resultOf(j, { floorMs: 2000, journalFile: journalPath(dir, 'r1') });
    const md = markdownReport(result);
    expect(md).toMatch(/# Failover drill r1/);
    expect(md).toMatch(/Time to shift: 1\.20 s \(0\.60x the floor\)/);
    expect(md).toMatch(
      /\| 1 \| preflight \| passed \| 2026-01-01T00:00:00.000Z \| 1\.50 s \| ok \\\| fine \|/,
    );
    const written = await writeReport(join(dir, 'out', 'drill.md'), result);
    expect(written.json).toBe(join(dir, 'out', 'drill.json'));
    expect(written.svg).toBe(join(dir, 'out', 'drill.svg'));
    expect(await readFile(join(dir, 'out', 'drill.md'), 'utf8')).toContain(
      "![Timeline of the drill's steps](drill.svg)",
    );
    const svg = await readFile(join(dir, 'out', 'drill.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('preflight (passed)');
    expect(svg).toContain('hold (running)');
    expect(svg).toContain('1.5 s');
    const json = JSON.parse(await readFile(written.json, 'utf8'));
    expect(json).toMatchObject({
      id: 'r1',
      region: 'tokyo',
      verdict: 'passed',
      timeToShiftMs: 1200,
      timeToRestoreMs: 900,
    });
    expect(json.steps[0]).toEqual({
      name: 'preflight',
      title: 'Preflight',
      status: 'passed',
      startedAt: '2026-01-01T00:00:00.000Z',
      endedAt: '2026-01-01T00:00:01.500Z',
      detail: 'ok | fine',
    });
  });
});
