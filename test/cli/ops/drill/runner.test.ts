import { describe, expect, it } from 'vitest';
import { initialRecords, runSteps, type StepDef } from '../../../../cli/ops/drill/runner.js';
import { sleep } from '../../../../cli/ops/time.js';

type Ctx = { log: string[] };

const step = (name: string, run: StepDef<Ctx>['run'], extra: Partial<StepDef<Ctx>> = {}): StepDef<Ctx> => ({
  name,
  title: name,
  run,
  ...extra,
});

describe('drill step runner', () => {
  it('runSteps: records every step with times and details, and reports each change', async () => {
    const ctx: Ctx = { log: [] };
    const steps = [
      step('a', async (c) => {
        c.log.push('a');
        return 'did a';
      }),
      step(
        'b',
        async (c) => {
          c.log.push('b');
          return undefined;
        },
        { skip: () => 'not needed' },
      ),
      step('c', async (c) => {
        c.log.push('c');
        return 'did c';
      }),
    ];
    const records = initialRecords(steps);
    const seen: string[] = [];
    const result = await runSteps(steps, ctx, records, {
      renderer: 'silent',
      onChange: async (r) => {
        seen.push(r.map((s) => s.status[0]).join(''));
      },
    });
    expect(result.verdict).toBe('passed');
    expect(ctx.log).toEqual(['a', 'c']);
    expect(records.map((r) => [r.name, r.status, r.detail])).toEqual([
      ['a', 'passed', 'did a'],
      ['b', 'skipped', 'not needed'],
      ['c', 'passed', 'did c'],
    ]);
    for (const r of [records[0], records[2]]) {
      expect(Date.parse(r.endedAt!)).toBeGreaterThanOrEqual(Date.parse(r.startedAt!));
      expect(r.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(seen[0]).toBe('rpp');
    expect(seen.at(-1)).toBe('psp');
  });

  it('runSteps: a failure skips the rest but still runs cleanup steps', async () => {
    const ctx: Ctx = { log: [] };
    const steps = [
      step('drain', async (c) => {
        c.log.push('drain');
        return undefined;
      }),
      step('verify', async () => {
        throw Object.assign(new Error('DNS did not move'), { hint: 'see chatctl health' });
      }),
      step('hold', async (c) => {
        c.log.push('hold');
        return undefined;
      }),
      step(
        'restore',
        async (c) => {
          c.log.push('restore');
          return 'back';
        },
        { cleanup: true },
      ),
    ];
    const records = initialRecords(steps);
    const result = await runSteps(steps, ctx, records, { renderer: 'silent' });
    expect(result.verdict).toBe('failed');
    expect(result.failedStep).toBe('verify');
    expect(ctx.log).toEqual(['drain', 'restore']);
    expect(records.map((r) => r.status)).toEqual(['passed', 'failed', 'skipped', 'passed']);
    expect(records[1].detail).toBe('DNS did not move (see chatctl health)');
  });

  it('runSteps: an interruption aborts the running step, skips the rest, and runs cleanup unaborted', async () => {
    const ctx: Ctx = { log: [] };
    const interrupt = new AbortController();
    let cleanupSignalAborted: boolean | undefined;
    const steps = [
      step('hold', async (_c, s) => {
        setTimeout(() => interrupt.abort('SIGINT'), 20);
        await sleep(10_000, s.signal);
        return 'held';
      }),
      step('verify', async (c) => {
        c.log.push('verify');
        return undefined;
      }),
      step(
        'restore',
        async (c, s) => {
          await sleep(10);
          cleanupSignalAborted = s.signal.aborted;
          c.log.push('restore');
          return undefined;
        },
        { cleanup: true },
      ),
    ];
    const records = initialRecords(steps);
    const result = await runSteps(steps, ctx, records, { renderer: 'silent', interrupt: interrupt.signal });
    expect(result.verdict).toBe('aborted');
    expect(records.map((r) => r.status)).toEqual(['aborted', 'skipped', 'passed']);
    expect(records[0].detail).toBe('interrupted (SIGINT)');
    expect(ctx.log).toEqual(['restore']);
    expect(cleanupSignalAborted).toBe(false);
  });

  it('runSteps: a step that ignores its signal cannot hold the drill after an interruption', async () => {
    const interrupt = new AbortController();
    const steps = [
      step('stuck', () => new Promise<undefined>(() => {})),
      step('restore', async () => 'restored', { cleanup: true }),
    ];
    setTimeout(() => interrupt.abort('SIGTERM'), 20);
    const result = await runSteps(steps, { log: [] }, initialRecords(steps), {
      renderer: 'silent',
      interrupt: interrupt.signal,
    });
    expect(result.records.map((r) => r.status)).toEqual(['aborted', 'passed']);
  });
});
