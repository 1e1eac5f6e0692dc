/**
 * What the chat client knows of each joined room: the ids of the messages it has seen, to notice a gap (a
 * push whose prevId it has not seen; docs/protocol.md, Gaps) and fill it from history.
 */
import { type ChatMessage, cursorBefore, type ServerFrame } from '../../../core/protocol.js';

/** A gap filled from history: messages a push's prevId showed were missed. */
export type GapListener = (roomId: string, messages: readonly ChatMessage[]) => void;

interface RoomView {
  readonly known: Set<string>;
  /** Ids from here on are all known, but for gaps; '' when the joined history reached the room's start. */
  readonly from: string;
}

/** A gap is filled only if the missing message has not arrived this long after the push that named it. */
const GAP_GRACE_MS = 300;
/** At most this many history pages are read to fill one gap. */
const GAP_PAGES = 5;

/** The part of the client that filling a gap needs. */
interface HistoryReader {
  readonly isOpen: boolean;
  history(roomId: string, options: { before?: string }): Promise<Extract<ServerFrame, { type: 'history' }>>;
}

export class RoomViews {
  private readonly rooms = new Map<string, RoomView>();
  private readonly gapListeners = new Set<GapListener>();

  constructor(private readonly client: HistoryReader) {}

  onGapFilled(listener: GapListener): () => void {
    this.gapListeners.add(listener);
    return () => this.gapListeners.delete(listener);
  }

  /** Keeps each joined room's view and fills a gap a push reveals. */
  observe(frame: ServerFrame): void {
    if (frame.type === 'joined') {
      const view: RoomView = {
        known: new Set(frame.history.map((m) => m.messageId)),
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
      if (prevId && !view.known.has(prevId) && prevId >= view.from) {
        setTimeout(() => void this.fillGap(roomId, messageId, prevId), GAP_GRACE_MS).unref();
      }
    }
  }

  /** Pages history back from `messageId` until `prevId` (the gap) is covered; reports what was missing. */
  private async fillGap(roomId: string, messageId: string, prevId: string): Promise<void> {
    const view = this.rooms.get(roomId);
    if (!view || view.known.has(prevId) || !this.client.isOpen) return;
    const before = new Set(view.known);
    const missing: ChatMessage[] = [];
    let cursor: string | null = cursorBefore(messageId);
    try {
      for (let page = 0; cursor && page < GAP_PAGES; page++) {
        const answer = await this.client.history(roomId, { before: cursor });
        missing.unshift(...answer.messages.filter((m) => !before.has(m.messageId)));
        if (answer.messages.some((m) => m.messageId <= prevId)) break;
        cursor = answer.cursor;
      }
    } catch {
      return; // The connection closed or history is shed: the next push names the gap again.
    }
    if (missing.length > 0) for (const listener of this.gapListeners) listener(roomId, missing);
  }
}
