/**
 * Replication's state on disk, for a sandbox that keeps its data (`--persist`): so that a crash (kill -9)
 * loses no change that a region acknowledged to a client.
 *
 * The region's stream in DynamoDB Local is the durable source of every change (the engine keeps it on disk
 * with the data). What replication holds in memory on top of it is written here as one snapshot: each
 * shard's position (the last record replication consumed), every change read but not yet applied at the far
 * end (a pair's lag, or a pause), the echoes still expected in each stream, and the version and image a
 * region holds for each item one of those concerns (last writer wins decides a saved change against it, and
 * an echo that lands after a newer change is undone with it). Other items' versions are not needed: a change
 * read after a restart is versioned at its reading, later than any saved one. So a snapshot's size follows
 * what is in flight, not the table. A snapshot is taken in one synchronous step, so it is a consistent
 * cut: a record past a shard's position is not in the snapshot's queues and is read again on restart, and a
 * change in the queues is applied again (applying is idempotent by version). It is written atomically (temp
 * file, fsync, rename, fsync of the folder), at most every SAVE_EVERY_MS while replication changes, and on
 * stop. Only a consistent snapshot moves the position on, so how often it is written costs only re-reading.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../core/topology.js';
import type { RegionReplica } from './region-replica.js';
import {
  type Change,
  canonicalImage,
  compareVersions,
  type Held,
  type Image,
  type Pending,
  type ShardPosition,
} from './versions.js';

/** Bump when the shape changes: a snapshot of another format is ignored (replication then starts at LATEST). */
const FORMAT = 1;
const SAVE_EVERY_MS = 100;

interface SavedHeld {
  readonly key: string;
  readonly ts: number;
  readonly origin: string;
  readonly image?: Image;
  readonly pruned?: true;
}

interface SavedPending {
  readonly key: string;
  readonly canon: string;
  readonly ts: number;
  readonly origin: string;
}

export interface SavedRegion {
  /** The stream this was read from: a table made again (new stream) makes the rest of the entry void. */
  readonly streamArn: string;
  readonly shards: Readonly<Record<string, ShardPosition>>;
  readonly held: readonly SavedHeld[];
  readonly pending: readonly SavedPending[];
}

export interface SavedQueue {
  readonly from: string;
  readonly to: string;
  readonly items: readonly { readonly due: number; readonly change: Change }[];
}

export interface ReplicationSnapshot {
  readonly format: number;
  readonly savedAt: string;
  readonly regions: Readonly<Record<string, SavedRegion>>;
  readonly queues: readonly SavedQueue[];
}

/** A snapshot of the regions and queues as they are now (synchronous: one consistent cut). */
export function snapshotOf(
  regions: Iterable<RegionReplica>,
  queues: Iterable<SavedQueue>,
): ReplicationSnapshot {
  const waiting = [...queues].filter((q) => q.items.length > 0);
  const queued = new Set(waiting.flatMap((q) => q.items.map((item) => item.change.key)));
  const saved: Record<string, SavedRegion> = {};
  for (const replica of regions) {
    if (!replica.streamArn) continue;
    const shards: Record<string, ShardPosition> = {};
    for (const [id, shard] of replica.shards) {
      shards[id] = shard.lastSequence
        ? { lastSequence: shard.lastSequence, start: shard.start }
        : { start: shard.start };
    }
    const held: SavedHeld[] = [];
    for (const [key, h] of replica.held) {
      if (!queued.has(key) && !replica.pending.has(key)) continue;
      const base = { key, ts: h.version.ts, origin: h.version.origin };
      held.push(h.pruned ? { ...base, pruned: true } : h.image ? { ...base, image: h.image } : base);
    }
    const pending: SavedPending[] = [];
    for (const [key, list] of replica.pending) {
      for (const p of list) pending.push({ key, canon: p.canon, ts: p.version.ts, origin: p.version.origin });
    }
    saved[replica.key] = { streamArn: replica.streamArn, shards, held, pending };
  }
  const pairs = waiting.map((q) => ({
    from: q.from,
    to: q.to,
    items: q.items.map(({ due, change }) => ({ due, change })),
  }));
  return { format: FORMAT, savedAt: new Date().toISOString(), regions: saved, queues: pairs };
}

/** The snapshot at `path`, or undefined when there is none (or it is of another format). */
export async function loadSnapshot(path: string): Promise<ReplicationSnapshot | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const snapshot = JSON.parse(text) as ReplicationSnapshot;
  return snapshot.format === FORMAT ? snapshot : undefined;
}

/** Puts a region's saved versions, expected echoes and shard positions back (before its stream is read). */
export function restoreRegion(replica: RegionReplica, saved: SavedRegion): void {
  for (const h of saved.held) {
    const held: Held = h.pruned
      ? { version: { ts: h.ts, origin: h.origin }, image: undefined, pruned: true }
      : { version: { ts: h.ts, origin: h.origin }, image: h.image };
    replica.held.set(h.key, held);
  }
  const at = Date.now();
  for (const p of saved.pending) {
    const list = replica.pending.get(p.key) ?? [];
    list.push({ canon: p.canon, version: { ts: p.ts, origin: p.origin }, at });
    replica.pending.set(p.key, list);
  }
  replica.resume = new Map(Object.entries(saved.shards));
}

/**
 * Before a saved change is applied again at `target`: a write may have been under way when the snapshot was
 * taken (its version already held, the write itself maybe lost), so the version is forgotten and the change
 * applied again; and it may have reached the engine after the snapshot, so its echo is expected in the stream.
 */
export function prepareReapply(target: RegionReplica, change: Change): void {
  const held = target.held.get(change.key);
  if (held && compareVersions(held.version, change.version) === 0) target.held.delete(change.key);
  const entry: Pending = { canon: canonicalImage(change.image), version: change.version, at: Date.now() };
  const list = target.pending.get(change.key) ?? [];
  list.push(entry);
  target.pending.set(change.key, list);
}

/** Writes snapshots atomically, at most one at a time and at most every SAVE_EVERY_MS while changes come. */
export class SnapshotWriter {
  private dirty = false;
  private writing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private lastSaved = 0;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly snapshot: () => ReplicationSnapshot,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Replication's state changed: a snapshot follows soon. */
  touch(): void {
    this.dirty = true;
    if (this.closed || this.timer || this.writing) return;
    const wait = Math.max(0, this.lastSaved + SAVE_EVERY_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.save();
    }, wait);
  }

  /** Writes the state one last time (after any write under way) and waits for it; no snapshot follows. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
    this.dirty = true;
    await this.save();
  }

  private async save(): Promise<void> {
    if (!this.dirty || this.writing) return this.writing;
    this.dirty = false;
    const text = JSON.stringify(this.snapshot());
    this.writing = writeFileAtomic(this.path, text, 0o600)
      .catch((error: Error) => this.onError(error))
      .finally(() => {
        this.writing = undefined;
        this.lastSaved = Date.now();
        if (this.dirty) this.touch();
      });
    return this.writing;
  }
}
