/**
 * The drills hook `chatctl sandbox up` hands its sandbox (sandbox/console/drills.ts): the console lists the
 * journal's recent drills, each with its report's timeline, and starts a failover drill (a dry run unless
 * asked otherwise) whose steps it shows as they change. The drill is the CLI's own runFailoverDrill against
 * the sandbox it runs in, journalled like one started from a terminal, so `drill status` and `drill abort`
 * see it too.
 */
import { UserError } from '../../../core/errors.js';
import type { DrillContext, SandboxDrills, StartedDrill } from '../../../sandbox/console/drills.js';
import type { ConsoleDrill, StartDrillRequest } from '../../../sandbox/control-api.js';
import { type DrillJournal, drillsDir, isOrphaned, listJournals } from './journal.js';
import { resultOf, timelineReport } from './report.js';

/** The drills the console starts: surge is a load test of minutes, for a terminal. */
export const CONSOLE_DRILL_KINDS = ['failover'] as const;
/** How many drills the console lists. */
const RECENT = 10;
/** A real drill's hold when the page gives none: the CLI's default. */
const DEFAULT_HOLD_MS = 30_000;

export interface ConsoleDrillsOptions {
  /** Where the journals live (default .chatctl/drills of the project folder). */
  readonly dir?: string;
  /** Per-check time limit of the preflight's health run. */
  readonly healthTimeoutMs?: number;
}

/** A journal as the console shows it: the timeline is the report's own drawing, once the drill has ended. */
export function consoleDrillOf(journal: DrillJournal): ConsoleDrill {
  const state = journal.state === 'finished' ? 'finished' : isOrphaned(journal) ? 'unfinished' : 'running';
  return {
    id: journal.id,
    kind: journal.kind,
    region: journal.region,
    target: journal.target,
    dryRun: journal.dryRun,
    state,
    verdict: journal.verdict,
    startedAt: journal.startedAt,
    endedAt: journal.endedAt,
    endReason: journal.endReason,
    steps: journal.steps.map((step) => ({ ...step })),
    timeToShiftMs: journal.timeToShiftMs,
    timeToRestoreMs: journal.timeToRestoreMs,
    shiftedTo: journal.shiftedTo,
    ...(state === 'running'
      ? {}
      : { timelineSvg: timelineReport(resultOf(journal, { floorMs: 0, journalFile: journal.id })) }),
  };
}

export function consoleDrills(options: ConsoleDrillsOptions = {}): SandboxDrills {
  const dir = options.dir ?? drillsDir();
  return {
    kinds: CONSOLE_DRILL_KINDS,
    async list() {
      const journals = await listJournals(dir);
      return journals
        .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
        .slice(0, RECENT)
        .map(consoleDrillOf);
    },
    start: (request, context) => startFailover(dir, options, request, context),
  };
}

/** Resolves once the drill's journal is written (the drill runs on); rejects when it cannot start. */
async function startFailover(
  dir: string,
  options: ConsoleDrillsOptions,
  request: StartDrillRequest,
  context: DrillContext,
): Promise<StartedDrill> {
  if (request.kind !== 'failover') {
    throw new UserError(`unknown drill kind "${request.kind}"`, {
      hint: `the console starts: ${CONSOLE_DRILL_KINDS.join(', ')}`,
    });
  }
  const [{ runFailoverDrill }, { sandboxTarget }] = await Promise.all([
    import('./run.js'),
    import('../target.js'),
  ]);
  const target = sandboxTarget({ ...context.topology, target: 'sandbox' }, context.state);
  let journal: DrillJournal | undefined;
  let onStarted!: (journal: DrillJournal) => void;
  const started = new Promise<DrillJournal>((resolve) => {
    onStarted = resolve;
  });
  const finished = runFailoverDrill(target, {
    region: request.region,
    dryRun: request.dryRun !== false,
    holdMs: request.holdMs ?? DEFAULT_HOLD_MS,
    moveChinaOrigin: request.moveChinaOrigin === true,
    dir,
    renderer: 'silent',
    interrupt: context.signal,
    healthTimeoutMs: options.healthTimeoutMs,
    onStart: (j) => {
      journal = j;
      onStarted(j);
    },
    onChange: (j) => context.onChange(consoleDrillOf(j)),
  }).then(() => consoleDrillOf(journal as DrillJournal));
  // Before its journal exists the drill's failure is start()'s (unknown region, a drill holding the lock).
  const first = await Promise.race([started, finished.then(() => undefined)]);
  finished.catch(() => {});
  if (!first) throw new Error('the drill ended before it started');
  return { drill: consoleDrillOf(first), finished };
}
