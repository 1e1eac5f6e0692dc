/**
 * Putting back what a drill changed, journalled: the drill's restore step and `drill abort` (for a drill
 * whose process is gone) both restore through routing/'s one routine and mark the journal on the way.
 */
import { restoreRegion } from '../routing/drain.js';
import type { Target } from '../target.js';
import { type DrillJournal, writeJournal } from './journal.js';

/**
 * Reverts the drained region's health check (idempotent) and waits until DNS answers it again. Marks the
 * journal restored as soon as the health check is reverted.
 */
export async function restoreDrained(
  target: Target,
  journal: DrillJournal,
  dir: string,
  options: { timeoutMs?: number; progress?: (text: string) => void; verify?: boolean } = {},
): Promise<{ timeToRestoreMs?: number }> {
  const restored = await restoreRegion(target, journal.region, {
    command: 'drill',
    verify: options.verify,
    timeoutMs: options.timeoutMs,
    afterChange: async () => {
      journal.changes.restored = true;
      await writeJournal(dir, journal);
      if (options.verify !== false) {
        options.progress?.(
          `TestDNSAnswer from ${journal.region}'s subnet until it answers ${journal.region}`,
        );
      }
    },
  });
  return restored.dns ? { timeToRestoreMs: restored.dns.elapsedMs } : {};
}
