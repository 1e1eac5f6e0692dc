/**
 * The sandbox's log, `.chatctl/sandbox.log`: one JSON line per edge request, handler invocation, fault change,
 * replication batch and queued Lambda event retried or given up (what CloudWatch and CloudTrail would show on AWS), read by `chatctl sandbox logs`.
 * Lines are buffered and written in batches, off the request path; the file rotates to `sandbox.log.1` at a
 * bounded size, so a sandbox left running for days keeps at most twice that on disk.
 */
import { closeSync, existsSync, renameSync, statSync, writeSync } from 'node:fs';
import { openPrivateSync } from './private-files.js';

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
    }
  | {
      readonly kind: 'handler';
      readonly function: string;
      readonly region: string;
      readonly route: string;
      readonly ms: number;
      readonly error?: string;
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

/** The edge's onRequest for the log: each request with its region key, when its AWS region is the sandbox's. */
export function edgeRequestLogger(
  regions: () => readonly { readonly key: string; readonly awsRegion: string }[],
  write: (event: SandboxLogEvent) => void,
) {
  return ({ awsRegion, ...request }: Omit<Extract<SandboxLogEvent, { kind: 'edge' }>, 'kind' | 'region'>) => {
    const key = regions().find((r) => r.awsRegion === awsRegion)?.key;
    write({ kind: 'edge', awsRegion, ...(key ? { region: key } : {}), ...request });
  };
}

export interface SandboxLog {
  write(event: SandboxLogEvent): void;
  /** Writes what is buffered. */
  flush(): void;
  /** Writes a last `sandbox` line (e.g. "stopped"), flushes and closes the file. */
  close(lastMessage?: string): void;
}

export interface SandboxLogOptions {
  /** Rotate when the file would grow past this (default 5 MiB). */
  readonly maxBytes?: number;
  /** How long a line may wait in the buffer (default 200 ms). */
  readonly flushMs?: number;
}

export const DEFAULT_LOG_MAX_BYTES = 5 * 2 ** 20;

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

  return {
    write(event) {
      if (closed) return;
      const line = `${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`;
      buffer.push(line);
      buffered += line.length;
      if (buffered > 64 * 1024) flush();
      else timer ??= setTimeout(flush, options.flushMs ?? 200).unref();
    },
    flush,
    close(lastMessage) {
      if (closed) return;
      if (lastMessage) this.write({ kind: 'sandbox', message: lastMessage });
      flush();
      closed = true;
      process.off('exit', onExit);
      closeSync(fd);
    },
  };
}
