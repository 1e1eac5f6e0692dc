/**
 * The sandbox's local event bus: every chat event published once, numbered in publish order (`seq`), kept in an
 * archive of the newest `retention` events. A consumer reads after the last seq it handled, so one that was
 * down gets everything it missed, once, in order (what EventBridge's archive and replay give on AWS, and
 * what a Kinesis consumer's checkpoint gives with the log target).
 */
import type { ChatEvent, ChatEventType } from '../../../core/events.js';

export interface BusEntry {
  readonly seq: number;
  readonly event: ChatEvent;
}

export interface BusFilter {
  readonly types?: readonly ChatEventType[];
  readonly roomId?: string;
  readonly region?: string;
}

export function matches(event: ChatEvent, filter: BusFilter): boolean {
  return (
    (!filter.types || filter.types.length === 0 || filter.types.includes(event.type)) &&
    (!filter.roomId || event.roomId === filter.roomId) &&
    (!filter.region || event.region === filter.region)
  );
}

/** A cursor older than the archive: the events after it are partly gone. */
export class CursorExpiredError extends Error {
  override name = 'CursorExpiredError';
  constructor(
    readonly after: number,
    readonly oldest: number,
  ) {
    super(`events after ${after} are no longer in the archive (it keeps the newest ones, from ${oldest})`);
  }
}

export const DEFAULT_RETENTION = 100_000;

export class EventBus {
  private readonly archive: BusEntry[] = [];
  /** Ids in the archive: a record read twice (a stream re-read after a restart) is published once. */
  private readonly ids = new Set<string>();
  private readonly listeners = new Set<(entry: BusEntry) => void>();
  private nextSeq = 1;

  constructor(private readonly retention = DEFAULT_RETENTION) {}

  /** The seq of the newest event (0 before the first). */
  get head(): number {
    return this.nextSeq - 1;
  }

  /** The seq of the oldest event still in the archive (the next one's while it is empty). */
  get oldest(): number {
    return this.archive[0]?.seq ?? this.nextSeq;
  }

  publish(event: ChatEvent): BusEntry | undefined {
    if (this.ids.has(event.id)) return undefined;
    const entry = { seq: this.nextSeq++, event };
    this.archive.push(entry);
    this.ids.add(event.id);
    while (this.archive.length > this.retention) {
      const dropped = this.archive.shift();
      if (dropped) this.ids.delete(dropped.event.id);
    }
    for (const listener of this.listeners) listener(entry);
    return entry;
  }

  /** The archived events after `after` that match, at most `limit`, oldest first. */
  read(after: number, filter: BusFilter = {}, limit = Number.POSITIVE_INFINITY): BusEntry[] {
    const oldest = this.oldest;
    if (after < oldest - 1) throw new CursorExpiredError(after, oldest);
    const out: BusEntry[] = [];
    // Seqs are consecutive in the archive: start at the first one after the cursor.
    for (let i = Math.max(0, after - oldest + 1); i < this.archive.length && out.length < limit; i++) {
      if (matches(this.archive[i].event, filter)) out.push(this.archive[i]);
    }
    return out;
  }

  /** Calls `listener` with every event published from now on; returns the function that stops it. */
  subscribe(listener: (entry: BusEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
