/**
 * The sandbox's state folder and its files are this user's alone: the folder 0700, every file in it 0600
 * (sandbox.json holds the control secret, sandbox.out the console URL with it, sandbox.log and the
 * `--persist` data hold chat messages). `sandbox up` checks the folder at start: a looser folder or file of
 * this user is tightened (and said so); one it cannot tighten, or another user's, is refused with the fix.
 */
import { chmodSync, fchmodSync, lstatSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors.js';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** The umask a child that writes into the state folder runs under (DynamoDB Local's data files). */
export const PRIVATE_UMASK = 0o077;

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, '0');

function refuse(path: string, why: string, fix: string): never {
  throw new UserError(`${path} ${why}`, { hint: fix });
}

/** Sets a path's mode to `mode` when it is looser; returns a note when it changed it. */
function tighten(path: string, mode: number, kind: 'folder' | 'file'): string | undefined {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return undefined;
  if ((stat.mode & 0o777 & ~mode) === 0) return undefined;
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    refuse(
      path,
      `belongs to another user (uid ${stat.uid}) and is readable by others`,
      `remove it, or: sudo chown -R ${uid} ${path}`,
    );
  }
  try {
    chmodSync(path, mode);
  } catch (error) {
    refuse(
      path,
      `is mode ${octal(stat.mode)} and could not be made ${octal(mode)}: ${(error as Error).message}`,
      `chmod ${octal(mode).slice(1)} ${path}`,
    );
  }
  return `tightened the ${kind} ${path} from ${octal(stat.mode)} to ${octal(mode)}`;
}

/**
 * Creates the folder 0700 (with its parents), or checks an existing one, and tightens everything under it
 * (folders 0700, files 0600). Returns what it tightened, one note per path.
 */
export function ensurePrivateTree(dir: string): string[] {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (!statSync(dir).isDirectory()) refuse(dir, 'is not a folder', `remove it: rm ${dir}`);
  const notes: string[] = [];
  const walk = (folder: string) => {
    const note = tighten(folder, PRIVATE_DIR_MODE, 'folder');
    if (note) notes.push(note);
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        const fileNote = tighten(path, PRIVATE_FILE_MODE, 'file');
        if (fileNote) notes.push(fileNote);
      }
    }
  };
  walk(dir);
  return notes;
}

/** Opens a file 0600 (an existing looser one is tightened through its descriptor). */
export function openPrivateSync(path: string, flags: 'a' | 'w'): number {
  const fd = openSync(path, flags, PRIVATE_FILE_MODE);
  fchmodSync(fd, PRIVATE_FILE_MODE);
  return fd;
}

/** Runs `start` (a synchronous spawn) under the private umask, so what the child creates is this user's alone. */
export function withPrivateUmask<T>(start: () => T): T {
  let previous: number;
  try {
    previous = process.umask(PRIVATE_UMASK);
  } catch {
    // A worker thread cannot set the umask: the folder's 0700 still keeps the files from others.
    return start();
  }
  try {
    return start();
  } finally {
    process.umask(previous);
  }
}
