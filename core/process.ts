/** Processes on this host, as the CLI's sandbox and drill commands look for them. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Whether a process with this id runs on this host (signal 0 probes without touching it). A zombie (exited,
 * not yet reaped by its parent, which for a detached sandbox is whatever init the machine has) is not running.
 */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** Linux's /proc says whether the process has exited but is not reaped (state Z or X); elsewhere false. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return false;
  }
}

/** Sends a signal to a process that may have exited meanwhile; false when it was already gone. */
export function signalIfAlive(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** The command line of a process (empty when it is gone or cannot be read). */
export function commandLine(pid: number): string {
  if (!pidAlive(pid)) return '';
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    try {
      return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  }
}

/**
 * When a process started, in ms since the epoch (undefined when it is gone or cannot be read): from
 * /proc/<pid>/stat (clock ticks since boot) and the boot time, else from `ps -o lstart=`. Two readings of
 * one process agree; a pid reused by a later process gives a later time.
 */
export function processStartedAt(pid: number): number | undefined {
  if (!pidAlive(pid)) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime), counted after the command name, which may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const boot = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    if (Number.isFinite(ticks) && boot) return Number(boot[1]) * 1000 + ticks * 10;
  } catch {
    // not Linux: ps below
  }
  try {
    const started = Date.parse(
      execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], {
        encoding: 'utf8',
        env: { ...process.env, LC_ALL: 'C' },
      }).trim(),
    );
    return Number.isFinite(started) ? started : undefined;
  } catch {
    return undefined;
  }
}

/** What identifies a process beyond its pid, recorded when it starts (a pid alone can be reused). */
export interface ProcessIdentity {
  readonly pid: number;
  /** processStartedAt of the process, read when it was recorded. */
  readonly startedAtMs?: number;
  /** Its command line, as commandLine read it. */
  readonly command?: string;
}

export function identityOf(pid: number): ProcessIdentity {
  return { pid, startedAtMs: processStartedAt(pid), command: commandLine(pid) };
}

/**
 * True when `identity`'s process still runs: the pid is alive with the same start time (within a second, the
 * precision of ps) and the same command line. A field not recorded is not compared.
 */
export function isSameProcess(identity: ProcessIdentity): boolean {
  if (!pidAlive(identity.pid)) return false;
  if (identity.startedAtMs !== undefined) {
    const now = processStartedAt(identity.pid);
    if (now === undefined || Math.abs(now - identity.startedAtMs) > 1000) return false;
  }
  if (
    identity.command !== undefined &&
    identity.command !== '' &&
    commandLine(identity.pid) !== identity.command
  ) {
    return false;
  }
  return true;
}
