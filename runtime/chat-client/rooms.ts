/**
 * What the chat client knows of each joined room: the ids of the messages it has seen, to notice a gap (a
 * push whose prevId it has not seen; docs/protocol.md, Gaps) and fill it from history.
 */
import { type ChatMessage, cursorBefore, type ServerFrame } from '../../core/protocol.js';

/**
 * A gap filled from history: messages a push's prevId showed were missed. `stillMissing`: the message the
 * push named that history did not hold within the wait (not replicated to this region yet, or lost with it).
 */
export type GapListener = (roomId: string, messages: readonly ChatMessage[], stillMissing?: string) => void;

interface RoomView {
  readonly known: Set<string>;
  /** Ids the user was shown: the joined history, pushes, gaps reported filled (not history pages read). */
  readonly shown: Set<string>;
  /** Ids from here on are all known, but for gaps; '' when the joined history reached the room's start. */
  readonly from: string;
}

/** A gap is filled only if the missing message has not arrived this long after the push that named it. */
const GAP_GRACE_MS = 300;
/** At most this many history pages are read to fill one gap. */
const GAP_PAGES = 5;
/**
 * How long a gap is retried before the user is told what is still missing, at least: the replication bound
 * (Global Tables usually replicate under a second) with room to spare. A lost relay's message reaches this
 * region's history only by replication, so when the region reports a longer lag (`replicationLagMs` on
 * `joined` and `history`) the wait is twice that, up to GAP_WAIT_MAX_MS.
 */
export const GAP_WAIT_MS = 8000;
/** The longest a gap is waited for, whatever lag the region reports: past it, the user is told. */
export const GAP_WAIT_MAX_MS = 120_000;
/** The backoff between two reads of a gap stops growing here, so a message is shown soon after it lands. */
const GAP_BACKOFF_MAX_MS = 5000;

/** How long to wait for a gap given the region's reported replication lag (undefined: not reported). */
export function gapWaitMs(replicationLagMs: number | undefined, floorMs = GAP_WAIT_MS): number {
  const lag = Number.isFinite(replicationLagMs) ? Math.max(0, replicationLagMs as number) : 0;
  return Math.min(GAP_WAIT_MAX_MS, Math.max(floorMs, 2 * lag));
}

/** The part of the client that filling a gap needs. */
interface HistoryReader {
  readonly isOpen: boolean;
  history(roomId: string, options: { before?: string }): Promise<Extract<ServerFrame, { type: 'history' }>>;
}

export class RoomViews {
  private readonly rooms = new Map<string, RoomView>();
  private readonly gapListeners = new Set<GapListener>();
  /** The replication lag the region last reported (one connection, one region). */
  private replicationLagMs: number | undefined;

  constructor(
    private readonly client: HistoryReader,
    private readonly gapWaitMs = GAP_WAIT_MS,
  ) {}

  onGapFilled(listener: GapListener): () => void {
    this.gapListeners.add(listener);
    return () => this.gapListeners.delete(listener);
  }

  /** Keeps each joined room's view and fills a gap a push reveals. */
  observe(frame: ServerFrame): void {
    if ((frame.type === 'joined' || frame.type === 'history') && frame.replicationLagMs !== undefined) {
      this.replicationLagMs = frame.replicationLagMs;
    }
    if (frame.type === 'joined') {
      const ids = frame.history.map((m) => m.messageId);
      const view: RoomView = {
        known: new Set(ids),
        shown: new Set(ids),
        from: frame.cursor ? (frame.history[0]?.messageId ?? '') : '',
      };
      this.rooms.set(frame.roomId, view);
    } else if (frame.type === 'history') {
      const view = this.rooms.get(frame.roomId);
      for (const m of frame.messages) view?.known.add(m.messageId);
    } else if (frame.type === 'message') {
      const { roomId, messageId, prevId } = frame.message;
      const view = this.rooms.get(roomId);
      if (!view) return;
      view.known.add(messageId);
      view.shown.add(messageId);
      if (prevId && !view.known.has(prevId) && prevId >= view.from) {
        setTimeout(() => void this.fillGap(roomId, messageId, prevId), GAP_GRACE_MS).unref();
      }
    }
  }

  /**
   * Pages history back from `messageId` until `prevId` (the gap) is covered, and reports what was missing.
   * History holds a missed message only once it has replicated here: until then it is read again with backoff
   * (300 ms doubling, at most 5 s apart) for the replication bound, or twice the lag the region reports
   * (each history answer says it again); then what was found is reported, with the id still missing.
   */
  private async fillGap(roomId: string, messageId: string, prevId: string): Promise<void> {
    const view = this.rooms.get(roomId);
    if (!view) return;
    const before = new Set(view.shown);
    const started = Date.now();
    const deadline = () => started + gapWaitMs(this.replicationLagMs, this.gapWaitMs);
    let found: ChatMessage[] = [];
    for (let attempt = 0; ; attempt++) {
      if (view.shown.has(prevId) || !this.client.isOpen) return; // pushed meanwhile, or closed
      const read = await this.readBack(roomId, messageId, prevId, before);
      if (!read) return; // The connection closed or history is shed: the next push names the gap again.
      found = read;
      if (found.some((m) => m.messageId === prevId) || Date.now() >= deadline()) break;
      const backoff = Math.min(GAP_GRACE_MS * 2 ** attempt, GAP_BACKOFF_MAX_MS);
      const wait = Math.min(backoff, Math.max(0, deadline() - Date.now()));
      await new Promise((resolve) => setTimeout(resolve, wait).unref());
    }
    const fresh = found.filter((m) => !view.shown.has(m.messageId));
    for (const m of fresh) view.shown.add(m.messageId);
    const stillMissing = view.shown.has(prevId) ? undefined : prevId;
    if (fresh.length > 0 || stillMissing) {
      for (const listener of this.gapListeners) listener(roomId, fresh, stillMissing);
    }
  }

  /** The messages below `messageId` down to `prevId` that `known` lacks, oldest first; undefined on failure. */
  private async readBack(
    roomId: string,
    messageId: string,
    prevId: string,
    known: ReadonlySet<string>,
  ): Promise<ChatMessage[] | undefined> {
    const missing: ChatMessage[] = [];
    let cursor: string | null = cursorBefore(messageId);
    try {
      for (let page = 0; cursor && page < GAP_PAGES; page++) {
        const answer = await this.client.history(roomId, { before: cursor });
        missing.unshift(...answer.messages.filter((m) => !known.has(m.messageId)));
        if (answer.messages.some((m) => m.messageId <= prevId)) break;
        cursor = answer.cursor;
      }
    } catch {
      return undefined;
    }
    return missing;
  }
}
