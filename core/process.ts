/** Processes on this host, as the CLI's sandbox and drill commands look for them. */

/** Whether a process with this id runs on this host (signal 0 probes without touching it). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
