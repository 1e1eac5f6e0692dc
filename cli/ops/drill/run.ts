/**
 * `chatctl drill failover <KEY>`: a rehearsal of losing a region (the steps are in steps.ts). A failed or
 * interrupted drill restores what it changed before it ends; the journal lets `drill status` / `drill
 * abort` deal with one that crashed.
 */
import { hostname } from 'node:os';
import { UserError } from '../../../core/errors.js';
import { findRegion } from '../../../core/topology.js';
import { shownPath } from '../../output.js';
import type { Target } from '../target.js';
import {
  acquireDrillLock,
  type DrillJournal,
  drillsDir,
  journalPath,
  newDrillId,
  ownIdentity,
  releaseDrillLock,
  writeJournal,
} from './journal.js';
import { type DrillResult, resultOf, writeReport } from './report.js';
import { initialRecords, runSteps } from './runner.js';
import { type Ctx, type FailoverDrillOptions, steps } from './steps.js';

export type { FailoverDrillOptions };

export async function runFailoverDrill(target: Target, options: FailoverDrillOptions): Promise<DrillResult> {
  findRegion(target.topology, options.region);
  if (target.topology.regions.length < 2) {
    throw new UserError('a failover drill needs at least two regions', {
      hint: 'add one: chatctl region add',
    });
  }
  const dir = options.dir ?? drillsDir();
  const id = newDrillId(options.region);
  const defs = steps();
  const journal: DrillJournal = {
    id,
    kind: 'failover',
    region: options.region,
    target: target.kind,
    pid: process.pid,
    identity: ownIdentity(),
    host: hostname(),
    startedAt: new Date().toISOString(),
    dryRun: options.dryRun === true,
    holdMs: options.holdMs ?? 0,
    state: 'running',
    changes: { drained: false, restored: false },
    steps: initialRecords(defs),
  };
  if (!journal.dryRun) await acquireDrillLock(dir, id);
  try {
    await writeJournal(dir, journal);
    options.onStart?.(journal);
    const ctx: Ctx = { target, journal, dir, options };
    const run = await runSteps(defs, ctx, journal.steps, {
      renderer: options.renderer ?? 'silent',
      interrupt: options.interrupt,
      onChange: async () => {
        await writeJournal(dir, journal);
        options.onChange?.(journal);
      },
    });
    journal.verdict = run.verdict;
    if (run.verdict === 'aborted')
      journal.endReason = `interrupted (${String(options.interrupt?.reason ?? 'signal')})`;
    else if (run.failedStep) journal.endReason = `step ${run.failedStep} failed`;
    journal.state = 'finished';
    journal.endedAt = new Date().toISOString();
    await writeJournal(dir, journal);
    options.onChange?.(journal);
  } finally {
    if (!journal.dryRun) await releaseDrillLock(dir, id);
  }
  const file = journalPath(dir, id);
  let result = resultOf(journal, { floorMs: target.timing.shiftFloorMs, journalFile: shownPath(file) });
  if (options.reportFile) result = { ...result, report: await writeReport(options.reportFile, result) };
  return result;
}
