/**
 * DynamoDB Local's process, tied to the sandbox's: nothing of it outlives the Node process that started it,
 * whatever kills that process and when (a kill -9 during start-up included).
 *
 * The JVM is started by a tiny POSIX shell watchdog, in a session of its own (so a terminal's Ctrl-C reaches
 * only Node, which stops it cleanly). The watchdog's stdin is a pipe whose only writer is Node: when Node is
 * gone, for any reason, the kernel closes it, the watchdog reads end-of-file and stops the JVM (SIGTERM, then
 * SIGKILL after 5 s), then removes the engine's temp folder. A watchdog killed on its own leaves its reader
 * (a subshell) holding the pipe, which still stops the JVM. Node learns the JVM's pid from the watchdog's first
 * line (the reader removes the temp folder too, should the watchdog be gone). On Windows, which has no sh, the JVM is started directly (the sandbox's exit handler still kills it).
 *
 * What a start left is also written down: `engine.json` in the state folder names the owner (the sandbox
 * process), the JVM and the temp folder, each with its start time, so `sandbox up` and `down` can tell a
 * crashed start's leftovers from a live start (cli/ops/sandbox/leftovers.ts); stale temp folders in the
 * system's temp folder carry their creator's pid in their name and are swept when it is gone.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ProcessIdentity, pidAlive, processStartedAt } from '../core/process.js';
import { writeFileAtomic } from '../core/topology.js';

/** The watchdog's name in its command line ($0 of its sh). */
export const WATCHDOG_NAME = 'chatctl-engine-watchdog';

/**
 * $1 is the temp folder to remove once the JVM is gone; the rest is the command. fd 3 keeps the pipe from
 * Node for the reader; the JVM itself gets neither it nor a terminal.
 */
const WATCHDOG_SCRIPT = `dir=$1; shift
exec 3<&0
"$@" </dev/null >/dev/null 3<&- &
engine=$!
echo "$engine"
trap 'kill -TERM "$engine" 2>/dev/null' TERM
{ while read -r _ <&3; do :; done; kill -TERM "$engine" 2>/dev/null; sleep 5; kill -KILL "$engine" 2>/dev/null; rm -rf "$dir"; } &
reader=$!
while :; do
  wait "$engine"; code=$?
  kill -0 "$engine" 2>/dev/null || break
done
kill "$reader" 2>/dev/null
rm -rf "$dir"
exit "$code"
`;

export interface LaunchedEngine {
  /** The watchdog (or, on Windows, the JVM itself): its exit is the JVM's. */
  readonly child: ChildProcess;
  /** The JVM's pid, once the watchdog has said it. */
  readonly pid: Promise<number>;
}

/** Starts `command args` under the watchdog (see above); `launcherDir` is removed once the JVM is gone. */
export function launchWatched(
  command: string,
  args: readonly string[],
  options: { cwd: string; launcherDir: string },
): LaunchedEngine {
  if (process.platform === 'win32') {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    return { child, pid: Promise.resolve(child.pid ?? -1) };
  }
  const child = spawn('sh', ['-c', WATCHDOG_SCRIPT, WATCHDOG_NAME, options.launcherDir, command, ...args], {
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    // A session of its own: a terminal's signals reach Node alone, which stops the engine in order.
    detached: true,
  });
  const pid = new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      text += chunk;
      const line = /^(\d+)\n/.exec(text);
      if (line) resolve(Number(line[1]));
    });
    child.once('error', reject);
    child.once('exit', () => reject(new Error('the engine watchdog exited before it named the engine')));
  });
  pid.catch(() => {});
  return { child, pid };
}

/** The prefix of an engine temp folder: its creator's pid, so a sweep can tell whose it is. */
function launcherPrefix(pid = process.pid): string {
  return `chatctl-ddb-${pid}-`;
}

/** A private temp folder for the engine's launcher file, named after this process. */
export function makeLauncherDir(): string {
  return mkdtempSync(join(tmpdir(), launcherPrefix()));
}

/**
 * Removes this user's engine temp folders whose creator has exited (a crash skipped their removal); returns
 * the folders removed.
 */
export function removeStaleLaunchers(dir = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const owner = /^chatctl-ddb-(\d+)-/.exec(name);
    if (!owner || pidAlive(Number(owner[1]))) continue;
    const path = join(dir, name);
    try {
      if (uid !== undefined && statSync(path).uid !== uid) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // gone meanwhile, or not ours
    }
  }
  return removed;
}

/** engine.json: who started the engine, the engine, and its temp folder. */
export interface EngineRecord {
  /** The sandbox process that started (and watches) the engine. */
  readonly owner: ProcessIdentity;
  /** The JVM (its command line is not recorded: at fork time it is still the watchdog's). */
  readonly engine: ProcessIdentity;
  readonly watchdogPid?: number;
  readonly launcherDir?: string;
  readonly endpoint: string;
}

export async function writeEngineRecord(
  path: string,
  fields: { enginePid: number; watchdogPid?: number; launcherDir?: string; endpoint: string },
): Promise<void> {
  const record: EngineRecord = {
    owner: { pid: process.pid, startedAtMs: processStartedAt(process.pid) },
    engine: { pid: fields.enginePid, startedAtMs: processStartedAt(fields.enginePid) },
    ...(fields.watchdogPid ? { watchdogPid: fields.watchdogPid } : {}),
    ...(fields.launcherDir ? { launcherDir: fields.launcherDir } : {}),
    endpoint: fields.endpoint,
  };
  await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`, 0o600);
}

export function readEngineRecord(path: string): EngineRecord | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as EngineRecord;
  } catch {
    return undefined;
  }
}

export async function removeEngineRecord(path: string): Promise<void> {
  await unlink(path).catch(() => {});
}
