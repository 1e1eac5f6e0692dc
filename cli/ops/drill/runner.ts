/**
 * A step runner for drills: runs steps in order as a listr2 task list (the renderer shows each step with its
 * time), records each step's status and times, and reports every change so the journal is rewritten. After a
 * failure or an interruption the remaining steps are skipped, except cleanup steps (restore), which always
 * run, with a signal of their own that the interruption does not abort.
 */
import type { StepRecord, StepStatus, Verdict } from './journal.js';

export interface StepContext {
  /** Aborted on interruption (normal steps) or never (cleanup steps). */
  readonly signal: AbortSignal;
  /** A line of progress shown under the step (e.g. a countdown). */
  progress(text: string): void;
}

export interface StepDef<C> {
  readonly name: string;
  readonly title: string;
  /** Runs even after a failure or an interruption (e.g. restore the region). */
  readonly cleanup?: boolean;
  /** Returns the reason to skip the step, or false to run it. Evaluated when the step's turn comes. */
  readonly skip?: (ctx: C) => string | false;
  /** Does the step; returns a one-line detail for the report. Throws to fail. */
  run(ctx: C, step: StepContext): Promise<string | undefined>;
}

export type Renderer = 'default' | 'simple' | 'silent';

export interface RunStepsOptions {
  readonly renderer: Renderer;
  /** Fires on SIGINT/SIGTERM (or the test's equivalent). */
  readonly interrupt?: AbortSignal;
  /** Called after every status change, with the records as they are now (write the journal here). */
  readonly onChange?: (records: readonly StepRecord[]) => Promise<void>;
  readonly now?: () => Date;
}

export interface RunStepsResult {
  readonly verdict: Verdict;
  readonly records: StepRecord[];
  readonly failedStep?: string;
}

export function initialRecords<C>(steps: readonly StepDef<C>[]): StepRecord[] {
  return steps.map((s) => ({ name: s.name, title: s.title, status: 'pending' as StepStatus }));
}

function errorText(error: unknown): string {
  const e = error as { message?: string; hint?: string };
  const message = (e?.message ?? String(error)).split('\n').join(' ');
  return e?.hint ? `${message} (${e.hint})` : message;
}

/** Rejects when the signal aborts, so a step that ignores its signal cannot hold the drill. */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error(`interrupted (${String(signal.reason ?? 'signal')})`));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

export async function runSteps<C>(
  steps: readonly StepDef<C>[],
  ctx: C,
  records: StepRecord[],
  options: RunStepsOptions,
): Promise<RunStepsResult> {
  const now = options.now ?? (() => new Date());
  const never = new AbortController().signal;
  let failedStep: string | undefined;
  let interrupted = false;
  const changed = async () => {
    await options.onChange?.(records);
  };

  const runOne = async (index: number, progress: (text: string) => void): Promise<StepRecord> => {
    const step = steps[index];
    const record = records[index];
    interrupted ||= options.interrupt?.aborted === true;
    if ((failedStep !== undefined || interrupted) && !step.cleanup) {
      record.status = 'skipped';
      record.detail = interrupted ? 'skipped: the drill was interrupted' : `skipped: ${failedStep} failed`;
      await changed();
      return record;
    }
    const skip = step.skip?.(ctx);
    if (skip) {
      record.status = 'skipped';
      record.detail = skip;
      await changed();
      return record;
    }
    const started = performance.now();
    record.status = 'running';
    record.startedAt = now().toISOString();
    await changed();
    const signal = step.cleanup ? never : (options.interrupt ?? never);
    try {
      const detail = await abortable(
        step.run(ctx, { signal, progress }),
        step.cleanup ? undefined : options.interrupt,
      );
      record.status = 'passed';
      if (detail) record.detail = detail;
    } catch (error) {
      if (!step.cleanup && options.interrupt?.aborted) {
        interrupted = true;
        record.status = 'aborted';
        record.detail = `interrupted (${String(options.interrupt.reason ?? 'signal')})`;
      } else {
        record.status = 'failed';
        record.detail = errorText(error);
        failedStep ??= step.name;
      }
    }
    record.endedAt = now().toISOString();
    record.durationMs = Math.round(performance.now() - started);
    await changed();
    return record;
  };

  if (options.renderer === 'silent') {
    for (let i = 0; i < steps.length; i++) await runOne(i, () => {});
  } else {
    const { Listr, PRESET_TIMER } = await import('listr2');
    const list = new Listr(
      steps.map((step, index) => ({
        title: step.title,
        task: async (_: unknown, task: { title: string; output: string; skip(message?: string): void }) => {
          const record = await runOne(index, (text) => {
            task.output = text;
          });
          if (record.detail && record.status === 'passed') task.title = `${step.title}: ${record.detail}`;
          if (record.status === 'skipped') task.skip(record.detail ?? 'skipped');
          if (record.status === 'failed' || record.status === 'aborted') {
            throw new Error(`${step.title}: ${record.detail ?? record.status}`);
          }
        },
      })),
      {
        concurrent: false,
        exitOnError: false,
        // The drill handles SIGINT itself (restore, then exit): listr2's own handler would exit at once.
        registerSignalListeners: false,
        renderer: options.renderer,
        rendererOptions: { timer: PRESET_TIMER, collapseErrors: false },
        fallbackRendererOptions: { timer: PRESET_TIMER },
      } as never,
    );
    await list.run();
  }

  const verdict: Verdict = interrupted ? 'aborted' : failedStep !== undefined ? 'failed' : 'passed';
  return { verdict, records, failedStep };
}
