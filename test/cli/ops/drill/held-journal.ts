/** A drill journal that holds the lock as another running drill would, for the tests of the refusal. */
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { acquireDrillLock, releaseDrillLock, writeJournal } from '../../../../cli/ops/drill/journal.js';

export interface HeldJournal {
  readonly id: string;
  /** Releases the lock and removes the journal. */
  release(): Promise<void>;
}

export async function holdDrillJournal(dir: string, id: string): Promise<HeldJournal> {
  await writeJournal(dir, {
    id,
    kind: 'failover',
    region: 'na',
    target: 'sandbox',
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    dryRun: false,
    holdMs: 0,
    state: 'running',
    changes: { drained: false, restored: false },
    steps: [],
  });
  await acquireDrillLock(dir, id);
  return {
    id,
    async release() {
      await releaseDrillLock(dir, id);
      await rm(join(dir, `${id}.json`));
    },
  };
}
