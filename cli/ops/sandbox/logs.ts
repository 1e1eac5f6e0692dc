/** `chatctl sandbox logs`: reads, filters, follows and formats the sandbox's log (sandbox/log.ts). */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { parseDuration } from '../../../core/duration.js';
import type { SandboxLogLine } from '../../../sandbox/log.js';

export { sandboxLogFile as sandboxLogPath } from './lifecycle.js';

function parse(text: string): SandboxLogLine[] {
  const out: SandboxLogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as SandboxLogLine);
    } catch {
      // a line cut by a crash: skipped
    }
  }
  return out;
}

/** The last `count` lines that `keep` accepts, from the rotated file and the current one. */
export function readRecentLines(
  path: string,
  count: number,
  keep: (line: SandboxLogLine) => boolean = () => true,
): SandboxLogLine[] {
  const read = (file: string) => (existsSync(file) ? parse(readFileSync(file, 'utf8')).filter(keep) : []);
  let lines = read(path);
  if (lines.length < count) lines = [...read(`${path}.1`), ...lines];
  return lines.slice(-count);
}

/** A line belongs to a region when it names it: its region key, or (edge requests) its AWS region. */
export function regionFilter(key: string | undefined, awsRegion: string | undefined) {
  if (!key) return () => true;
  return (line: SandboxLogLine): boolean => {
    switch (line.kind) {
      case 'edge':
        return line.region === key || (awsRegion !== undefined && line.awsRegion === awsRegion);
      case 'replication':
        return line.from === key || line.to === key;
      case 'sandbox':
        return true;
      default:
        return line.region === key;
    }
  };
}

export const LOG_KINDS = ['edge', 'handler', 'fault', 'replication', 'lambda', 'sandbox'] as const;
export type LogKind = (typeof LOG_KINDS)[number];

export interface LogFilter {
  /** Region key, and its AWS region (an edge request names its AWS region). */
  readonly region?: { readonly key: string; readonly awsRegion: string };
  /** Lines at or after this time (epoch ms). */
  readonly sinceMs?: number;
  /** Lines whose text, as printed or as JSON, contains this (case-insensitive). */
  readonly grep?: string;
  /** Only lines of these kinds. */
  readonly kinds?: readonly LogKind[];
}

/** The one filter `sandbox logs` applies, to the recent lines and the followed ones alike. */
export function logFilter(filter: LogFilter): (line: SandboxLogLine) => boolean {
  const inRegion = regionFilter(filter.region?.key, filter.region?.awsRegion);
  const needle = filter.grep?.toLowerCase();
  return (line) => {
    if (filter.kinds && !filter.kinds.includes(line.kind)) return false;
    if (filter.sinceMs !== undefined && !(Date.parse(line.time) >= filter.sinceMs)) return false;
    if (!inRegion(line)) return false;
    if (needle === undefined) return true;
    return (
      formatLogLine(line).toLowerCase().includes(needle) ||
      JSON.stringify(line).toLowerCase().includes(needle)
    );
  };
}

/** `--since`: a duration back from now (10m, 1h) or a time (2026-12-07T20:00:00Z); undefined when neither. */
export function sinceOf(text: string, now = Date.now()): number | undefined {
  try {
    return now - parseDuration(text, 'm');
  } catch {
    const at = Date.parse(text);
    return Number.isNaN(at) ? undefined : at;
  }
}

/** Calls `onLine` for each line written after now, through rotations, until `signal` aborts. */
export async function followLog(
  path: string,
  onLine: (line: SandboxLogLine) => void,
  signal: AbortSignal,
  pollMs = 200,
): Promise<void> {
  let offset = existsSync(path) ? statSync(path).size : 0;
  let partial = '';
  while (!signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    if (!existsSync(path)) continue;
    const size = statSync(path).size;
    if (size < offset) {
      // Rotated: the rest of the old file is sandbox.log.1 now; read the new one from its start.
      offset = 0;
      partial = '';
    }
    if (size === offset) continue;
    const fd = openSync(path, 'r');
    try {
      const chunk = Buffer.alloc(size - offset);
      readSync(fd, chunk, 0, chunk.length, offset);
      offset = size;
      const text = partial + chunk.toString('utf8');
      const end = text.lastIndexOf('\n');
      partial = text.slice(end + 1);
      for (const line of parse(text.slice(0, end + 1))) onLine(line);
    } finally {
      closeSync(fd);
    }
  }
}

/** One aligned line for people: time, kind, then what happened. */
export function formatLogLine(line: SandboxLogLine): string {
  const time = line.time.slice(11, 23);
  switch (line.kind) {
    case 'edge': {
      // A refusal the caller expects (a failed condition, a gone connection) is said as such, not as an error.
      const answer = line.refused ? ` refused: ${line.refused}` : line.error ? ` error: ${line.error}` : '';
      return `${time} edge         ${line.region ?? line.awsRegion} ${line.service} ${line.operation} ${line.status}${answer} ${line.ms.toFixed(1)} ms${routine(line)}`;
    }
    case 'handler':
      return `${time} handler      ${line.region} ${line.function} ${line.route} ${line.ms.toFixed(1)} ms${line.error ? ` error: ${line.error}` : ''}${routine(line)}`;
    case 'fault':
      return `${time} fault        ${line.region} ${line.action} ${line.fault}`;
    case 'replication':
      return `${time} replication  ${line.from} -> ${line.to} ${line.items} item${line.items === 1 ? '' : 's'}, lag ${Math.round(line.lagMs)} ms`;
    case 'lambda':
      return `${time} lambda       ${line.region} ${line.function} ${line.action} ${line.requestId}: ${line.why}${line.destination ? ` -> ${line.destination}` : ''}`;
    default:
      return `${time} sandbox      ${line.message}`;
  }
}

/** " (routine)" on a line a health checker or a canary caused (written at level debug, or with an error). */
function routine(line: { readonly routine?: boolean }): string {
  return line.routine ? ' (routine)' : '';
}
