// `drill abort` signals a drill's process only when it proves the pid is still the drill (its start time and
// command line, as recorded in the journal); a pid reused by another program is left alone and the drill is
// restored from its journal instead. No AWS call: nothing in these journals was changed.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { abortDrill } from '../../../../cli/ops/drill/abort.js';
import { type DrillJournal, readJournal, writeJournal } from '../../../../cli/ops/drill/journal.js';
import { awsTarget } from '../../../../cli/ops/target.js';
import { identityOf, pidAlive } from '../../../../core/process.js';
import { defaultTopology } from '../../../../core/topology.js';
import { eventually } from '../../../support/eventually.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A live process that is not a drill (a pid the crashed drill's pid was reused by). */
async function bystander(...args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', ...args], { stdio: 'ignore' });
  children.push(child);
  await eventually(() => identityOf(child.pid as number).command?.includes('setInterval') === true);
  return child;
}

function journal(id: string, pid: number, identity?: DrillJournal['identity']): DrillJournal {
  return {
    id,
    kind: 'failover',
    region: 'na',
    target: 'aws',
    pid,
    ...(identity ? { identity } : {}),
    host: hostname(),
    startedAt: new Date().toISOString(),
    dryRun: false,
    holdMs: 1000,
    state: 'running',
    changes: { drained: false, restored: false },
    steps: [{ name: 'hold', title: 'Hold', status: 'running', startedAt: new Date().toISOString() }],
  };
}

const target = () => awsTarget(defaultTopology({ target: 'aws' }));

describe('drill abort', () => {
  it('drill abort: a pid now held by another process (other start time and command line) is not signalled; the drill is restored from its journal', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatctl-abort-'));
    const other = await bystander();
    const pid = other.pid as number;
    const real = identityOf(pid);
    await writeJournal(
      dir,
      journal('reused', pid, {
        startedAtMs: (real.startedAtMs as number) - 3_600_000,
        command: `${process.execPath} bin/run.js drill failover na`,
      }),
    );
    const result = await abortDrill(target(), { dir, waitMs: 2000 });
    expect(result.how).toBe('restored');
    expect(pidAlive(pid)).toBe(true);
    expect((await readJournal(dir, 'reused'))?.verdict).toBe('aborted');
  });

  it("drill abort: a journal without an identity needs chatctl's command line before its pid is signalled", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatctl-abort-'));
    const other = await bystander();
    await writeJournal(dir, journal('legacy', other.pid as number));
    expect((await abortDrill(target(), { dir, waitMs: 2000 })).how).toBe('restored');
    expect(pidAlive(other.pid as number)).toBe(true);
  });

  it("drill abort: the drill's own process (same start time and command line) is signalled", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatctl-abort-'));
    const drill = await bystander('drill');
    const exited = new Promise((resolve) => drill.once('exit', (_code, signal) => resolve(signal)));
    const { startedAtMs, command } = identityOf(drill.pid as number);
    await writeJournal(dir, journal('genuine', drill.pid as number, { startedAtMs, command }));
    await abortDrill(target(), { dir, waitMs: 10_000 });
    expect(await exited).toBe('SIGTERM');
  });
});
