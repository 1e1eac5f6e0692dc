/**
 * The sandbox's log, `sandbox.log` in the state folder: one JSON line per edge request, handler invocation,
 * fault change, replication batch and queued Lambda event retried or given up (what CloudWatch and CloudTrail
 * would show on AWS), read by `chatctl sandbox logs`. Routine traffic (Route 53's checkers and the canaries, and all they cause: routine.ts) is
 * written only at level debug; at info it is counted, and one `sandbox` line sums it up every few minutes,
 * so an idle sandbox's log stays small. A routine line that reports an error is written at any level.
 * Lines are buffered and written in batches, off the request path; the file rotates to `sandbox.log.1` at a
 * bounded size (`sandbox.log.maxMiB`), so a sandbox left running for days keeps at most twice that on disk.
 */
import { closeSync, existsSync, renameSync, statSync, writeSync } from 'node:fs';
import { openPrivateSync } from './private-files.js';
import { inRoutine } from './routine.js';

export type SandboxLogEvent =
  | {
      readonly kind: 'edge';
      readonly service: string;
      readonly operation: string;
      /** The AWS region of the request's credential scope. */
      readonly awsRegion: string;
      /** The region key, when the AWS region is one of the sandbox's. */
      readonly region?: string;
      /** The region whose handlers made the request (a handler's own AWS call), if one did. */
      readonly caller?: string;
      readonly status: number;
      readonly ms: number;
      /** The AWS error code of an answer a caller expects and handles (a failed condition, a gone connection). */
      readonly refused?: string;
      /** The AWS error code of any other 4xx or 5xx answer. */
      readonly error?: string;
      /** Made for a health checker or a canary (routine.ts). */
      readonly routine?: boolean;
    }
  | {
      readonly kind: 'handler';
      readonly function: string;
      readonly region: string;
      readonly route: string;
      readonly ms: number;
      readonly error?: string;
      readonly routine?: boolean;
    }
  | {
      readonly kind: 'fault';
      readonly action: 'injected' | 'healed';
      readonly region: string;
      readonly fault: string;
    }
  | {
      readonly kind: 'replication';
      readonly from: string;
      readonly to: string;
      readonly items: number;
      /** From the source write to the apply in the destination, the slowest item of the batch. */
      readonly lagMs: number;
      /** How many of the items the checkers and canaries wrote (routine.ts); all of them: a routine batch. */
      readonly routine?: number;
    }
  | {
      /** Lambda's queue of async invocations: a queued event tried again, or given up (its destination). */
      readonly kind: 'lambda';
      readonly region: string;
      readonly function: string;
      readonly action: 'retry' | 'given-up';
      readonly requestId: string;
      /** Why: throttled, a function error, EventAgeExceeded, RetriesExhausted. */
      readonly why: string;
      /** Where a given-up event went (the on-failure queue), if anywhere. */
      readonly destination?: string;
    }
  | { readonly kind: 'sandbox'; readonly message: string };

export type SandboxLogLine = SandboxLogEvent & { readonly time: string };

/**
 * Error codes a caller asks for and handles: a write whose condition failed (the health probe's, a duplicate
 * send's), a transaction cancelled by one, a post to a connection that is gone. Logged as refusals, not errors.
 */
const EXPECTED_REFUSALS = new Set([
  'ConditionalCheckFailedException',
  'TransactionCanceledException',
  'GoneException',
]);

type EdgeEvent = Extract<SandboxLogEvent, { kind: 'edge' }>;

/**
 * The edge's onRequest for the log: each request with its region key (when its AWS region is the sandbox's),
 * its error code as a refusal or an error, and whether a checker or a canary made it (routine.ts).
 */
export function edgeRequestLogger(
  regions: () => readonly { readonly key: string; readonly awsRegion: string }[],
  write: (event: SandboxLogEvent) => void,
) {
  return ({
    awsRegion,
    code,
    ...request
  }: Omit<EdgeEvent, 'kind' | 'region' | 'refused' | 'error' | 'routine'> & { readonly code?: string }) => {
    const key = regions().find((r) => r.awsRegion === awsRegion)?.key;
    const answer =
      request.status < 400
        ? {}
        : code && EXPECTED_REFUSALS.has(code)
          ? { refused: code }
          : { error: code ?? `HTTP ${request.status}` };
    write({
      kind: 'edge',
      awsRegion,
      ...(key ? { region: key } : {}),
      ...request,
      ...answer,
      ...(inRoutine() ? { routine: true } : {}),
    });
  };
}

/** Whether a line is routine traffic (routine.ts) that reports no error: what level info leaves out. */
export function isQuietRoutine(event: SandboxLogEvent): boolean {
  switch (event.kind) {
    case 'edge':
      return event.routine === true && event.error === undefined;
    case 'handler':
      return event.routine === true && event.error === undefined;
    case 'replication':
      return event.routine !== undefined && event.routine === event.items;
    default:
      return false;
  }
}

export interface SandboxLog {
  write(event: SandboxLogEvent): void;
  /** Writes what is buffered. */
  flush(): void;
  /** Writes a last `sandbox` line (e.g. "stopped"), flushes and closes the file. */
  close(lastMessage?: string): void;
}

export type SandboxLogLevel = 'info' | 'debug';

export interface SandboxLogOptions {
  /** Rotate when the file would grow past this (default 5 MiB: `sandbox.log.maxMiB`). */
  readonly maxBytes?: number;
  /** How long a line may wait in the buffer (default 200 ms). */
  readonly flushMs?: number;
  /** info (default): routine traffic only counted, in a summary line; debug: every line. */
  readonly level?: SandboxLogLevel;
  /** How often the summary of routine traffic is written at level info, when there was some (default 5 min). */
  readonly summaryMs?: number;
}

/** The log's settings: the sandbox's options, else the topology's `sandbox.log`. */
export function logOptionsOf(
  options: {
    readonly logMaxBytes?: number;
    readonly logLevel?: SandboxLogLevel;
    readonly logSummaryMs?: number;
  },
  configured: { readonly maxMiB?: number; readonly level?: SandboxLogLevel } | undefined,
): SandboxLogOptions {
  const maxBytes =
    options.logMaxBytes ?? (configured?.maxMiB ? Math.round(configured.maxMiB * 2 ** 20) : undefined);
  const level = options.logLevel ?? configured?.level;
  return {
    ...(maxBytes ? { maxBytes } : {}),
    ...(level ? { level } : {}),
    ...(options.logSummaryMs ? { summaryMs: options.logSummaryMs } : {}),
  };
}

export const DEFAULT_LOG_MAX_BYTES = 5 * 2 ** 20;
export const DEFAULT_LOG_SUMMARY_MS = 5 * 60_000;

/** What level info counted instead of writing, since its last summary. */
interface RoutineCounts {
  edge: number;
  handler: number;
  replicated: number;
  refused: number;
}

function summaryOf(counts: RoutineCounts, sinceMs: number): string {
  const minutes = Math.max(1, Math.round(sinceMs / 60_000));
  return (
    `routine traffic in the last ${minutes} min (health checkers and canaries; level debug shows each line): ` +
    `${counts.handler} handler calls, ${counts.edge} AWS requests (${counts.refused} refused as expected), ` +
    `${counts.replicated} items replicated`
  );
}

/** Opens (appends to) the log at `path`. */
export function openSandboxLog(path: string, options: SandboxLogOptions = {}): SandboxLog {
  const maxBytes = options.maxBytes ?? DEFAULT_LOG_MAX_BYTES;
  let fd = openPrivateSync(path, 'a');
  let size = existsSync(path) ? statSync(path).size : 0;
  let buffer: string[] = [];
  let buffered = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const rotate = () => {
    closeSync(fd);
    renameSync(path, `${path}.1`);
    fd = openPrivateSync(path, 'a');
    size = 0;
  };
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (buffer.length === 0) return;
    const lines = buffer;
    buffer = [];
    buffered = 0;
    for (const line of lines) {
      const bytes = Buffer.byteLength(line);
      if (size > 0 && size + bytes > maxBytes) rotate();
      writeSync(fd, line);
      size += bytes;
    }
  };
  const onExit = () => flush();
  process.once('exit', onExit);
  const debug = options.level === 'debug';
  const counts: RoutineCounts = { edge: 0, handler: 0, replicated: 0, refused: 0 };
  let countedSince = Date.now();
  const append = (event: SandboxLogEvent) => {
    const line = `${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`;
    buffer.push(line);
    buffered += line.length;
    if (buffered > 64 * 1024) flush();
    else timer ??= setTimeout(flush, options.flushMs ?? 200).unref();
  };
  const summarize = () => {
    if (counts.edge + counts.handler + counts.replicated > 0) {
      append({ kind: 'sandbox', message: summaryOf(counts, Date.now() - countedSince) });
    }
    Object.assign(counts, { edge: 0, handler: 0, replicated: 0, refused: 0 });
    countedSince = Date.now();
  };
  const summaries = debug ? undefined : setInterval(summarize, options.summaryMs ?? DEFAULT_LOG_SUMMARY_MS);
  summaries?.unref();

  return {
    write(event) {
      if (closed) return;
      if (!debug && isQuietRoutine(event)) {
        if (event.kind === 'edge') {
          counts.edge++;
          if (event.refused) counts.refused++;
        } else if (event.kind === 'handler') counts.handler++;
        else if (event.kind === 'replication') counts.replicated += event.items;
        return;
      }
      append(event);
    },
    flush,
    close(lastMessage) {
      if (closed) return;
      if (summaries) clearInterval(summaries);
      if (!debug) summarize();
      if (lastMessage) this.write({ kind: 'sandbox', message: lastMessage });
      flush();
      closed = true;
      process.off('exit', onExit);
      closeSync(fd);
    },
  };
}
