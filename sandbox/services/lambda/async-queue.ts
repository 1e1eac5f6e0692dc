/**
 * Lambda's queue of asynchronous invocations (InvocationType Event), run as AWS runs it:
 * - a throttled run (the function at its concurrency, or the `throttle` fault) goes back to the queue and is
 *   tried again, waiting 1 s and doubling up to 5 minutes, for as long as the event is younger than the
 *   function's maximum event age (throttles do not count as retries);
 * - a run that fails (a function error) is retried at most `maxRetryAttempts` times, after 1 and 2 minutes;
 * - an event given up (too old, or failed on every retry) is sent to the on-failure destination as Lambda's
 *   destination record (condition EventAgeExceeded or RetriesExhausted).
 * The waits can be shortened (SandboxOptions.lambdaAsync), so tests see every case in seconds.
 */
import { isThrottle } from '../../throttle.js';

/** A function's asynchronous invocation configuration (AWS::Lambda::EventInvokeConfig). */
export interface AsyncConfig {
  readonly maxEventAgeMs: number;
  readonly maxRetryAttempts: number;
  /** The on-failure destination's name (a queue); none: a given-up event is dropped. */
  readonly onFailure?: string;
}

/** Lambda's waits between runs of a queued event. */
export interface AsyncTiming {
  /** Before each retry of a failed run. */
  readonly retryDelaysMs: readonly number[];
  /** The first wait after a throttled run; it doubles up to throttleMaxMs. */
  readonly throttleFirstMs: number;
  readonly throttleMaxMs: number;
}

export const AWS_ASYNC_TIMING: AsyncTiming = {
  retryDelaysMs: [60_000, 120_000],
  throttleFirstMs: 1000,
  throttleMaxMs: 300_000,
};

/** AWS's defaults where a function has no EventInvokeConfig: 6 hours, two retries, no destination. */
export const AWS_DEFAULT_ASYNC: AsyncConfig = { maxEventAgeMs: 6 * 3600_000, maxRetryAttempts: 2 };

/** What Lambda sends an on-failure destination (its documented record). */
export interface DestinationRecord {
  readonly version: '1.0';
  readonly timestamp: string;
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: 'EventAgeExceeded' | 'RetriesExhausted';
    readonly approximateInvokeCount: number;
  };
  readonly requestPayload: unknown;
  readonly responseContext?: {
    readonly statusCode: number;
    readonly executedVersion: string;
    readonly functionError: 'Unhandled';
  };
  readonly responsePayload?: unknown;
}

export interface QueuedEvent {
  readonly requestId: string;
  readonly functionArn: string;
  readonly payload: unknown;
  /** When Lambda accepted it (the 202), epoch ms: its age counts from here. */
  readonly receivedAt: number;
  readonly config: AsyncConfig;
  /** Runs the function once; throws its error, or a throttle (isThrottle). */
  run(): Promise<unknown>;
  /** The `throttle` fault: the run is refused as throttled before the function starts. */
  throttled(): boolean;
}

export interface AsyncQueueHooks {
  /** An event given up, with its destination's name (undefined: it had none). */
  onFailure(record: DestinationRecord, destination: string | undefined): void;
  /** A run failed or was throttled and will be tried again after `waitMs`. */
  onRetry(event: QueuedEvent, why: string, waitMs: number): void;
}

export class AsyncQueue {
  private stopped = false;
  private readonly waits = new Set<() => void>();

  constructor(
    private readonly timing: AsyncTiming,
    private readonly hooks: AsyncQueueHooks,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs the event until it succeeds or is given up; resolves then (or when the queue stops). */
  async process(event: QueuedEvent): Promise<void> {
    /** Runs that started and failed (Lambda's approximateInvokeCount when it gives up). */
    let runs = 0;
    let throttleWait = this.timing.throttleFirstMs;
    for (;;) {
      if (this.stopped) return;
      if (this.now() - event.receivedAt > event.config.maxEventAgeMs) {
        this.giveUp(event, 'EventAgeExceeded', runs);
        return;
      }
      let wait = 0;
      let why = '';
      let throttled = event.throttled();
      if (!throttled) {
        try {
          await event.run();
          return;
        } catch (error) {
          // A run refused at the function's concurrency never started (isThrottle); any other failed.
          if (isThrottle(error)) throttled = true;
          else {
            runs++;
            if (runs > event.config.maxRetryAttempts) {
              this.giveUp(event, 'RetriesExhausted', runs, error as Error);
              return;
            }
            const e = error as Error;
            wait = this.timing.retryDelaysMs[runs - 1] ?? this.timing.retryDelaysMs.at(-1) ?? 0;
            why = `function error (${e?.name ?? 'Error'}: ${e?.message ?? String(error)})`;
          }
        }
      }
      if (throttled) {
        wait = throttleWait;
        throttleWait = Math.min(throttleWait * 2, this.timing.throttleMaxMs);
        why = 'throttled (TooManyRequestsException)';
      }
      // Never waits past the event's age limit for nothing: it is given up when it is reached.
      const left = event.config.maxEventAgeMs - (this.now() - event.receivedAt);
      const waitMs = Math.max(0, Math.min(wait, left + 1));
      this.hooks.onRetry(event, why, waitMs);
      await this.sleep(waitMs);
    }
  }

  /** Stops every wait at once: the events still queued are dropped (the sandbox is stopping). */
  stop(): void {
    this.stopped = true;
    for (const wake of this.waits) wake();
    this.waits.clear();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waits.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waits.add(wake);
    });
  }

  private giveUp(
    event: QueuedEvent,
    condition: DestinationRecord['requestContext']['condition'],
    runs: number,
    error?: Error,
  ): void {
    const record: DestinationRecord = {
      version: '1.0',
      timestamp: new Date(this.now()).toISOString(),
      requestContext: {
        requestId: event.requestId,
        functionArn: `${event.functionArn}:$LATEST`,
        condition,
        approximateInvokeCount: runs,
      },
      requestPayload: event.payload,
      ...(error
        ? {
            responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
            responsePayload: {
              errorType: error.name ?? 'Error',
              errorMessage: error.message ?? String(error),
            },
          }
        : {}),
    };
    this.hooks.onFailure(record, event.config.onFailure);
  }
}
