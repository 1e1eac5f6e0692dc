/** `chatctl sandbox logs`: reads, filters, follows and formats the sandbox's log (sandbox/log.ts). */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
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
    case 'edge':
      return `${time} edge         ${line.region ?? line.awsRegion} ${line.service} ${line.operation} ${line.status} ${line.ms.toFixed(1)} ms`;
    case 'handler':
      return `${time} handler      ${line.region} ${line.function} ${line.route} ${line.ms.toFixed(1)} ms${line.error ? ` error: ${line.error}` : ''}`;
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
