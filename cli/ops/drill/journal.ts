/**
 * The drill journal: `drills/<id>.json` in this user's state folder (core/project.ts chatctlHome), rewritten
 * atomically at every step, so that after a crash `chatctl drill status` knows what was changed and
 * `chatctl drill abort` can put it back. A lock file (`drills/active`, created exclusively) refuses a second
 * drill while one is unfinished.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../../core/errors.js';
import { commandLine, identityOf, isSameProcess, pidAlive } from '../../../core/process.js';
import { chatctlHome } from '../../../core/project.js';
import { writeFileAtomic } from '../../../core/topology.js';

export type StepStatus = 'pending' | 'running' | 'passed' | 'failed' | 'skipped' | 'aborted';
export type Verdict = 'passed' | 'failed' | 'aborted';

export interface StepRecord {
  readonly name: string;
  readonly title: string;
  status: StepStatus;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  detail?: string;
}

export interface DrillJournal {
  readonly id: string;
  readonly kind: 'failover';
  readonly region: string;
  readonly target: 'sandbox' | 'aws';
  readonly pid: number;
  /** The drill process's start time and command line: with the pid, what proves a process is this drill. */
  readonly identity?: { readonly startedAtMs?: number; readonly command?: string };
  readonly host: string;
  readonly startedAt: string;
  readonly dryRun: boolean;
  readonly holdMs: number;
  /** running until the drill ends (whatever its verdict); an unfinished journal after a crash stays running. */
  state: 'running' | 'finished';
  endedAt?: string;
  verdict?: Verdict;
  /** What the drill changed and has not yet put back: the facts `drill abort` acts on. */
  changes: {
    drained: boolean;
    restored: boolean;
    chinaOrigin?: { from: string; to: string; moved: boolean; movedBack: boolean };
  };
  steps: StepRecord[];
  timeToShiftMs?: number;
  /** The latency record's TTL, and the latest a client that honours it moves: time to shift + TTL. */
  dnsTtlSeconds?: number;
  clientMoveBoundMs?: number;
  /** Observed: from the drain until a client reconnecting by the global name first landed elsewhere, and where. */
  timeToClientMovedMs?: number;
  clientMovedTo?: string;
  timeToRestoreMs?: number;
  /** The region DNS sent the drained region's users to. */
  shiftedTo?: string;
  /** The room the chat check used (verified for convergence at the end). */
  roomId?: string;
  /** How the drill ended when it did not pass: the signal, the failed step, or the abort command. */
  endReason?: string;
}

/** In this user's state folder, beside the sandbox's: `drill status` and `abort` work from any folder. */
export function drillsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(chatctlHome(env), 'drills');
}

export function journalPath(dir: string, id: string): string {
  return join(dir, `${id}.json`);
}

export function newDrillId(region: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${region}-${randomBytes(2).toString('hex')}`;
}

export async function writeJournal(dir: string, journal: DrillJournal): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(journalPath(dir, journal.id), `${JSON.stringify(journal, null, 2)}\n`);
}

export async function readJournal(dir: string, id: string): Promise<DrillJournal | undefined> {
  try {
    return JSON.parse(await readFile(journalPath(dir, id), 'utf8')) as DrillJournal;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function listJournals(dir: string): Promise<DrillJournal[]> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const out: DrillJournal[] = [];
  for (const file of files.filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort()) {
    const journal = await readJournal(dir, file.slice(0, -'.json'.length)).catch(() => undefined);
    // Only drill journals (a report written into the same folder is not one).
    if (journal?.id && journal.kind === 'failover' && journal.changes && Array.isArray(journal.steps))
      out.push(journal);
  }
  return out;
}

export { pidAlive };

/** A journal whose process is gone while it still says running: a drill that crashed or was killed. */
export function isOrphaned(journal: DrillJournal): boolean {
  if (journal.state !== 'running') return false;
  if (journal.host !== hostname()) return true;
  return journal.pid !== process.pid && !drillProcessRuns(journal);
}

let ownIdentityCache: DrillJournal['identity'];

/** This process's start time and command line, for the journal of a drill it runs (read once). */
export function ownIdentity(): NonNullable<DrillJournal['identity']> {
  if (!ownIdentityCache) {
    const { startedAtMs, command } = identityOf(process.pid);
    ownIdentityCache = {
      ...(startedAtMs !== undefined ? { startedAtMs } : {}),
      ...(command ? { command } : {}),
    };
  }
  return ownIdentityCache;
}

/**
 * True when the journal's process still runs and is the drill: its pid alive with the start time and command
 * line the journal recorded (a pid reused by another program is not the drill, as the sandbox's pid check
 * says of its own). A journal from before identities were recorded needs at least chatctl's command line.
 */
export function drillProcessRuns(journal: DrillJournal): boolean {
  if (journal.identity) return isSameProcess({ pid: journal.pid, ...journal.identity });
  return pidAlive(journal.pid) && /chatctl|run\.js|drill/.test(commandLine(journal.pid));
}

const LOCK = 'active';

interface LockContent {
  id: string;
  pid: number;
  host: string;
}

async function readLock(dir: string): Promise<LockContent | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, LOCK), 'utf8')) as LockContent;
  } catch {
    return undefined;
  }
}

/**
 * Takes the drill lock for `id`, or refuses: a drill that runs (its process is alive), or one that did not
 * finish (crashed: the region may still be drained) must be dealt with first.
 */
export async function acquireDrillLock(dir: string, id: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(join(dir, LOCK), 'wx');
      await handle.writeFile(
        JSON.stringify({ id, pid: process.pid, host: hostname() } satisfies LockContent),
      );
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readLock(dir);
    const journal = holder ? await readJournal(dir, holder.id) : undefined;
    if (holder && journal?.state === 'running') {
      if (!isOrphaned(journal)) {
        throw new UserError(
          `drill ${journal.id} (${journal.region}) is running (pid ${journal.pid}); one drill at a time`,
          {
            hint: 'wait for it to finish, or stop it and restore its region: chatctl drill abort',
          },
        );
      }
      throw new UserError(`drill ${journal.id} (${journal.region}) did not finish: its process is gone`, {
        hint: 'see what it changed: chatctl drill status; put it back: chatctl drill abort',
      });
    }
    // A lock without a running journal is left over (the drill finished but could not remove it): take it over.
    await unlink(join(dir, LOCK)).catch(() => {});
  }
  throw new UserError('could not take the drill lock', {
    hint: `remove ${join(dir, LOCK)} if no drill runs`,
  });
}

export async function releaseDrillLock(dir: string, id: string): Promise<void> {
  const holder = await readLock(dir);
  if (holder?.id === id) await unlink(join(dir, LOCK)).catch(() => {});
}
