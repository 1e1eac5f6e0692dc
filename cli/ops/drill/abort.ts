/** `chatctl drill abort`: stops the unfinished drill and puts back what it changed. */
import { UserError } from '../../../core/errors.js';
import { moveChinaOrigin } from '../routing/china-origin.js';
import type { Target } from '../target.js';
import { sleep } from '../time.js';
import {
  drillProcessRuns,
  drillsDir,
  isOrphaned,
  listJournals,
  readJournal,
  releaseDrillLock,
  writeJournal,
} from './journal.js';
import { restoreDrained } from './journalled.js';
import { pendingChanges } from './status.js';

export interface DrillAbortResult {
  readonly id: string;
  readonly region: string;
  /** How it was stopped: a live drill is signalled (it restores itself); a crashed one is restored here. */
  readonly how: 'signalled' | 'restored';
  readonly restored: readonly string[];
  readonly timeToRestoreMs?: number;
}

/**
 * Stops the unfinished drill: a running one gets SIGTERM (it restores and ends as aborted) and is waited for;
 * one whose process is gone is restored here from its journal (health check reverted, China origin moved
 * back), and its journal closed as aborted.
 */
export async function abortDrill(
  target: Target,
  options: { dir?: string; id?: string; waitMs?: number; timeoutMs?: number } = {},
): Promise<DrillAbortResult> {
  const dir = options.dir ?? drillsDir();
  const unfinished = (await listJournals(dir)).filter(
    (j) => j.state === 'running' && (!options.id || j.id === options.id),
  );
  if (unfinished.length === 0) {
    throw new UserError(options.id ? `no unfinished drill ${options.id}` : 'no unfinished drill', {
      hint: 'see the drills: chatctl drill status',
    });
  }
  const journal = unfinished[unfinished.length - 1];
  if (!isOrphaned(journal) && journal.pid !== process.pid) {
    process.kill(journal.pid, 'SIGTERM');
    const deadline = Date.now() + (options.waitMs ?? 120_000);
    for (;;) {
      const now = await readJournal(dir, journal.id);
      if (now?.state === 'finished') {
        return {
          id: journal.id,
          region: journal.region,
          how: 'signalled',
          restored: pendingChanges(journal),
        };
      }
      if (!drillProcessRuns(journal)) break;
      if (Date.now() > deadline) {
        throw new UserError(
          `drill ${journal.id} (pid ${journal.pid}) did not stop within ${(options.waitMs ?? 120_000) / 1000} s`,
          {
            hint: `stop it (kill ${journal.pid}), then run: chatctl drill abort`,
          },
        );
      }
      await sleep(200);
    }
  }
  const fresh = (await readJournal(dir, journal.id)) ?? journal;
  if (fresh.target !== target.kind) {
    throw new UserError(`drill ${fresh.id} ran against ${fresh.target}, not ${target.kind}`, {
      hint: `run: chatctl drill abort --target ${fresh.target}`,
    });
  }
  const restored = pendingChanges(fresh);
  let timeToRestoreMs: number | undefined;
  if (fresh.changes.drained && !fresh.changes.restored) {
    timeToRestoreMs = (await restoreDrained(target, fresh, dir, { timeoutMs: options.timeoutMs }))
      .timeToRestoreMs;
    fresh.timeToRestoreMs ??= timeToRestoreMs;
  } else if (fresh.changes.drained) {
    // Restored already, but make sure (idempotent): a crash may have come between the change and the journal.
    await restoreDrained(target, fresh, dir, { verify: false });
  }
  const china = fresh.changes.chinaOrigin;
  if (china?.moved && !china.movedBack) {
    await moveChinaOrigin(target, china.from, { timeoutMs: options.timeoutMs });
    china.movedBack = true;
  }
  for (const step of fresh.steps) {
    if (step.status === 'running' || step.status === 'pending') {
      step.status = step.status === 'running' ? 'aborted' : 'skipped';
      step.detail = 'stopped by chatctl drill abort';
    }
  }
  fresh.state = 'finished';
  fresh.verdict = 'aborted';
  fresh.endReason = 'stopped by chatctl drill abort';
  fresh.endedAt = new Date().toISOString();
  await writeJournal(dir, fresh);
  await releaseDrillLock(dir, fresh.id);
  return { id: fresh.id, region: fresh.region, how: 'restored', restored, timeToRestoreMs };
}
