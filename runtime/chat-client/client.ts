/**
 * The one WebSocket client of the CLI, over the chat protocol (docs/architecture.md): connect with a token,
 * then join, send, reply, react, set a notice, page history and ping, each returning a promise of the
 * server's answer frame. Every request has a timeout, an error frame rejects the send it names (its
 * clientMsgId) or else its action's oldest request, and close() is clean (pending requests are rejected, the socket is closed with 1000).
 * `chatctl chat`, every probe of `health`, `china test`, `relay test`, the drills (their chat check and the
 * surge drill's load) and the chat canary use it.
 */
import WebSocket from 'ws';
import { clientIdClock } from '../../core/message-id.js';
import type { Action, ClientFrame, ServerFrame } from '../../core/protocol.js';
import { type GapListener, RoomViews } from './rooms.js';
import { SendOrder } from './send-order.js';
import { ChatClientError, type ChatClientOptions, openSocket } from './socket.js';

export type FrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;

/** How many frames nobody asked for are kept for `next` (the newest). */
const UNCLAIMED_LIMIT = 1000;

interface Pending {
  readonly action: Action;
  /** A send's: its error frame names it. */
  readonly clientMsgId?: string;
  readonly match: (frame: ServerFrame) => boolean;
  readonly resolve: (frame: ServerFrame) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface Waiter {
  readonly match: (frame: ServerFrame) => boolean;
  readonly resolve: (frame: ServerFrame) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export type FrameListener = (frame: ServerFrame, receivedAt: number) => void;

/**
 * A send's clientMsgId: a ULID whose millisecond time strictly increases, so that every region names the
 * message alike (a retry after failover is one message) and one sender's messages keep their order.
 */
export const newClientMsgId = clientIdClock();

export class ChatClient {
  private readonly pending: Pending[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly listeners = new Set<FrameListener>();
  /** What is known of each joined room: its messages, to notice gaps (undefined: gaps are not filled). */
  private readonly rooms: RoomViews | undefined;
  /** Each room's sends, in order. */
  private readonly sendOrders = new Map<string, SendOrder>();
  /** Waiters of `next`: each takes the frame it matches, so two never see the same one. */
  private readonly takers = new Set<Waiter>();
  /** Frames that no request or `next` took yet, oldest first. */
  private readonly unclaimed: ServerFrame[] = [];
  private readonly timeoutMs: number;
  private closeInfo: { code: number; reason: string } | undefined;
  private readonly closedPromise: Promise<{ code: number; reason: string }>;

  private constructor(
    private readonly socket: WebSocket,
    readonly url: string,
    options: ChatClientOptions,
    /** Milliseconds the handshake took. */
    readonly connectMs: number,
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.rooms = options.fillGaps === false ? undefined : new RoomViews(this);
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      let frame: ServerFrame;
      try {
        frame = JSON.parse(data.toString()) as ServerFrame;
      } catch {
        return;
      }
      if (typeof frame !== 'object' || frame === null || typeof frame.type !== 'string') return;
      this.dispatch(frame);
    });
    this.closedPromise = new Promise((resolve) => {
      socket.once('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        const error = new ChatClientError(
          'CLOSED',
          `the connection closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`,
        );
        for (const p of this.pending.splice(0)) {
          clearTimeout(p.timer);
          p.reject(error);
        }
        for (const w of [...this.waiters, ...this.takers]) {
          clearTimeout(w.timer);
          w.reject(error);
        }
        this.waiters.clear();
        this.takers.clear();
        options.signal?.removeEventListener('abort', this.onAbort);
        resolve(this.closeInfo);
      });
    });
    // Errors after the handshake end in 'close'; this keeps them from becoming unhandled.
    socket.on('error', () => {});
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private readonly onAbort = () => this.socket.terminate();

  /** Opens a connection (token in the query string, as $connect expects); rejects with a clear reason. */
  static async connect(options: ChatClientOptions): Promise<ChatClient> {
    const { socket, connectMs } = await openSocket(options);
    return new ChatClient(socket, options.url, options, connectMs);
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Resolves with the close code and reason once the connection has closed (for any reason). */
  get closed(): Promise<{ code: number; reason: string }> {
    return this.closedPromise;
  }

  /** Every frame as it arrives (including answers to requests); returns an unsubscribe function. */
  onFrame(listener: FrameListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Gaps this client noticed and filled from history: a push whose prevId it has not seen (and that is
   * newer than the joined history) means a message was missed; its listeners get the missing messages.
   */
  onGapFilled(listener: GapListener): () => void {
    return this.rooms?.onGapFilled(listener) ?? (() => false);
  }

  /** The next frame that matches (arriving from now on); rejects on timeout or close. */
  waitFor<T extends ServerFrame>(
    match: (frame: ServerFrame) => frame is T,
    timeoutMs?: number,
    what?: string,
  ): Promise<T>;
  waitFor(match: (frame: ServerFrame) => boolean, timeoutMs?: number, what?: string): Promise<ServerFrame>;
  waitFor(
    match: (frame: ServerFrame) => boolean,
    timeoutMs = this.timeoutMs,
    what = 'a frame',
  ): Promise<ServerFrame> {
    if (this.closeInfo) return Promise.reject(new ChatClientError('CLOSED', 'the connection is closed'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (frame) => {
          this.waiters.delete(waiter);
          clearTimeout(waiter.timer);
          resolve(frame);
        },
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new ChatClientError('TIMEOUT', `no ${what} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /**
   * The next frame that matches, including one that arrived earlier and that no request or `next` took
   * (the newest 1000 are kept); the frame is taken, so a second `next` waits for another. Rejects on
   * timeout or close.
   */
  next<T extends ServerFrame>(match: (frame: ServerFrame) => frame is T, timeoutMs?: number): Promise<T>;
  next(match: (frame: ServerFrame) => boolean, timeoutMs?: number): Promise<ServerFrame>;
  next(match: (frame: ServerFrame) => boolean, timeoutMs = this.timeoutMs): Promise<ServerFrame> {
    const index = this.unclaimed.findIndex(match);
    if (index >= 0) return Promise.resolve(this.unclaimed.splice(index, 1)[0]);
    if (this.closeInfo) return Promise.reject(new ChatClientError('CLOSED', 'the connection is closed'));
    return new Promise((resolve, reject) => {
      const taker: Waiter = {
        match,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.takers.delete(taker);
          reject(new ChatClientError('TIMEOUT', `no matching frame within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.takers.add(taker);
    });
  }

  /** Sends a frame without waiting for an answer (`next` or `waitFor` picks the answer up). */
  sendFrame(frame: ClientFrame): void {
    if (!this.isOpen) throw new ChatClientError('CLOSED', 'the connection is closed');
    this.socket.send(JSON.stringify(frame));
  }

  join(roomId: string): Promise<FrameOf<'joined'>> {
    return this.request({ action: 'join', roomId }, (f) => f.type === 'joined' && f.roomId === roomId);
  }

  leave(roomId: string): Promise<FrameOf<'left'>> {
    return this.request({ action: 'leave', roomId }, (f) => f.type === 'left' && f.roomId === roomId);
  }

  /**
   * Sends a message (a reply with parentId); resolves with the ack (messageId, duplicate). Sends to one room
   * keep their order (send-order.ts): one may wait for the answer to the one before.
   */
  send(
    roomId: string,
    text: string,
    options: { parentId?: string; clientMsgId?: string } = {},
  ): Promise<FrameOf<'ack'>> {
    const clientMsgId = options.clientMsgId ?? newClientMsgId();
    let order = this.sendOrders.get(roomId);
    if (!order) {
      order = new SendOrder();
      this.sendOrders.set(roomId, order);
    }
    return order.add(clientMsgId, (fields) =>
      this.request<FrameOf<'ack'>>(
        {
          action: 'send',
          roomId,
          text,
          clientMsgId,
          ...(options.parentId ? { parentId: options.parentId } : {}),
          ...fields,
        },
        (f) => f.type === 'ack' && f.clientMsgId === clientMsgId,
      ),
    );
  }

  reply(roomId: string, parentId: string, text: string): Promise<FrameOf<'ack'>> {
    return this.send(roomId, text, { parentId });
  }

  /** One page of older messages (before a cursor); resolves with the page and the next cursor. */
  history(roomId: string, options: { before?: string; limit?: number } = {}): Promise<FrameOf<'history'>> {
    return this.request(
      {
        action: 'history',
        roomId,
        ...(options.before ? { before: options.before } : {}),
        ...(options.limit ? { limit: options.limit } : {}),
      },
      (f) => f.type === 'history' && f.roomId === roomId,
    );
  }

  /** Adds (or with add=false removes) a reaction; resolves with the room's reaction broadcast. */
  react(roomId: string, messageId: string, emoji: string, add = true): Promise<FrameOf<'reaction'>> {
    return this.request(
      { action: 'react', roomId, messageId, emoji, add },
      (f) =>
        f.type === 'reaction' &&
        f.roomId === roomId &&
        f.messageId === messageId &&
        f.emoji === emoji &&
        f.added === add,
    );
  }

  /** Sets the room's pinned notice; resolves with the room's notice broadcast. */
  notice(roomId: string, text: string): Promise<FrameOf<'notice'>> {
    return this.request(
      { action: 'notice', roomId, text },
      (f) => f.type === 'notice' && f.notice.roomId === roomId && f.notice.text === text,
    );
  }

  /** Resolves with the pong (the region that answered) and the round trip in ms. */
  async ping(): Promise<FrameOf<'pong'> & { rttMs: number }> {
    const started = performance.now();
    const pong = await this.request<FrameOf<'pong'>>({ action: 'ping' }, (f) => f.type === 'pong');
    return { ...pong, rttMs: performance.now() - started };
  }

  /** Closes cleanly (1000); resolves once closed, terminating the socket if the server does not answer. */
  async close(code = 1000, reason = 'bye'): Promise<void> {
    if (this.closeInfo) return;
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code, reason);
    }
    const timer = setTimeout(() => this.socket.terminate(), 2000);
    await this.closedPromise;
    clearTimeout(timer);
  }

  /** Ends the connection at once, without the closing handshake (a load generator's teardown). */
  terminate(): void {
    this.socket.terminate();
  }

  private request<T extends ServerFrame>(
    frame: ClientFrame,
    match: (frame: ServerFrame) => boolean,
  ): Promise<T> {
    if (!this.isOpen) return Promise.reject(new ChatClientError('CLOSED', 'the connection is closed'));
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = {
        action: frame.action,
        ...(frame.action === 'send' ? { clientMsgId: frame.clientMsgId } : {}),
        match,
        resolve: (f) => resolve(f as T),
        reject,
        timer: setTimeout(() => {
          const index = this.pending.indexOf(entry);
          if (index >= 0) this.pending.splice(index, 1);
          reject(new ChatClientError('TIMEOUT', `no answer to ${frame.action} within ${this.timeoutMs} ms`));
        }, this.timeoutMs),
      };
      this.pending.push(entry);
      this.socket.send(JSON.stringify(frame), (error) => {
        if (!error) return;
        const index = this.pending.indexOf(entry);
        if (index >= 0) this.pending.splice(index, 1);
        clearTimeout(entry.timer);
        reject(new ChatClientError('CLOSED', `could not send ${frame.action}: ${error.message}`));
      });
    });
  }

  private dispatch(frame: ServerFrame): void {
    const at = performance.now();
    this.rooms?.observe(frame);
    let claimed = false;
    if (frame.type === 'error') {
      // An error answers the send it names, else the oldest request of its action (or, without an action,
      // the oldest request).
      const named = frame.clientMsgId
        ? this.pending.findIndex((p) => p.clientMsgId === frame.clientMsgId)
        : -1;
      const index =
        named >= 0 ? named : this.pending.findIndex((p) => (frame.action ? p.action === frame.action : true));
      if (index >= 0) {
        const [p] = this.pending.splice(index, 1);
        clearTimeout(p.timer);
        p.reject(new ChatClientError(frame.code, `${p.action}: ${frame.message} (${frame.code})`, frame));
        claimed = true;
      }
    } else {
      const index = this.pending.findIndex((p) => p.match(frame));
      if (index >= 0) {
        const [p] = this.pending.splice(index, 1);
        clearTimeout(p.timer);
        p.resolve(frame);
        claimed = true;
      }
    }
    const taker = claimed ? undefined : [...this.takers].find((t) => t.match(frame));
    if (taker) {
      this.takers.delete(taker);
      clearTimeout(taker.timer);
      taker.resolve(frame);
    } else if (!claimed) {
      this.unclaimed.push(frame);
      if (this.unclaimed.length > UNCLAIMED_LIMIT) this.unclaimed.shift();
    }
    for (const waiter of [...this.waiters]) if (waiter.match(frame)) waiter.resolve(frame);
    for (const listener of this.listeners) listener(frame, at);
  }
}
