/** `chatctl drill status`: the unfinished drills (running, or interrupted with changes left) and the recent ones. */
import { type DrillJournal, drillsDir, isOrphaned, listJournals } from './journal.js';

export interface DrillStatusEntry {
  readonly id: string;
  readonly region: string;
  readonly state: 'running' | 'interrupted' | 'finished';
  readonly verdict: string | null;
  readonly pid: number;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly dryRun: boolean;
  /** What is still changed (to be put back by `drill abort`). */
  readonly pending: readonly string[];
  readonly currentStep: string | null;
}

export interface DrillStatusResult {
  readonly unfinished: readonly DrillStatusEntry[];
  readonly recent: readonly DrillStatusEntry[];
}

export function pendingChanges(journal: DrillJournal): string[] {
  const out: string[] = [];
  if (journal.changes.drained && !journal.changes.restored) out.push(`${journal.region} drained`);
  const china = journal.changes.chinaOrigin;
  if (china?.moved && !china.movedBack) out.push(`China origin moved ${china.from} -> ${china.to}`);
  return out;
}

function entryOf(journal: DrillJournal): DrillStatusEntry {
  return {
    id: journal.id,
    region: journal.region,
    state: journal.state === 'finished' ? 'finished' : isOrphaned(journal) ? 'interrupted' : 'running',
    verdict: journal.verdict ?? null,
    pid: journal.pid,
    startedAt: journal.startedAt,
    endedAt: journal.endedAt ?? null,
    dryRun: journal.dryRun,
    pending: pendingChanges(journal),
    currentStep: journal.steps.find((s) => s.status === 'running')?.name ?? null,
  };
}

export async function drillStatus(
  options: { dir?: string; recent?: number } = {},
): Promise<DrillStatusResult> {
  const journals = await listJournals(options.dir ?? drillsDir());
  const entries = journals.map(entryOf);
  return {
    unfinished: entries.filter((e) => e.state !== 'finished'),
    recent: entries
      .filter((e) => e.state === 'finished')
      .slice(-(options.recent ?? 5))
      .reverse(),
  };
}
