/**
 * A chat client over the WebSocket protocol (docs/architecture.md): connect with a token, then join, send, reply,
 * react, set a notice, page history and ping, each returning a promise of the server's answer frame.
 * Every request has a timeout, an error frame for an action rejects that action's oldest request, and
 * close() is clean (pending requests are rejected, the socket is closed with 1000). `chatctl chat` is
 * built on it; probes and drills can reuse it.
 */
import WebSocket from 'ws';
import { clientIdClock } from '../../core/message-id.js';
import {
  type Action,
  type ChatMessage,
  type ClientFrame,
  cursorBefore,
  type ErrorCode,
  type Notice,
  type ServerFrame,
} from '../../core/protocol.js';

export type FrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;
export type ErrorFrame = FrameOf<'error'>;

export type ChatClientErrorCode = ErrorCode | 'TIMEOUT' | 'CLOSED' | 'CONNECT' | 'REFUSED';

export class ChatClientError extends Error {
  override name = 'ChatClientError';
  constructor(
    readonly code: ChatClientErrorCode,
    message: string,
    /** The server's error frame, when the server answered with one. */
    readonly frame?: ErrorFrame,
    /** The HTTP status of a refused upgrade (401, 403, 429, 502, ...). */
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface ChatClientOptions {
  /** ws://127.0.0.1:PORT/prod or wss://<regional domain>/prod */
  readonly url: string;
  readonly token: string;
  /** Per request (join, send, ...); default 10 s. */
  readonly timeoutMs?: number;
  /** For the WebSocket handshake; default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Extra headers on the upgrade request. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The IP address to reach the URL's host at (a DNS answer), so that TLS, the certificate and Host all carry the
   * URL's name: how a client reaches chat.<domain> in the region latency DNS picked for someone else.
   */
  readonly address?: string;
}

/** ws/https `lookup` that resolves every name to `address` (undefined: the system resolver). */
export function fixedLookup(address: string | undefined) {
  if (!address) return undefined;
  const family = address.includes(':') ? 6 : 4;
  return (
    _host: string,
    options: { all?: boolean },
    callback: (
      error: Error | null,
      address: string | { address: string; family: number }[],
      family?: number,
    ) => void,
  ) => (options?.all ? callback(null, [{ address, family }]) : callback(null, address, family));
}

interface Pending {
  readonly action: Action;
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

/** A gap filled from history: messages a push's prevId showed were missed. */
export type GapListener = (roomId: string, messages: readonly ChatMessage[]) => void;

/** What the client knows of a joined room, to notice gaps (docs/protocol.md, Gaps). */
interface RoomView {
  readonly known: Set<string>;
  /** Ids from here on are all known, but for gaps; '' when the joined history reached the room's start. */
  readonly from: string;
  /** The clientMsgIds of sends not acked yet, in the order sent: the next send names the last (`after`). */
  readonly unacked: string[];
}

/** A gap is filled only if the missing message has not arrived this long after the push that named it. */
const GAP_GRACE_MS = 300;
/** At most this many history pages are read to fill one gap. */
const GAP_PAGES = 5;

function describeSocketError(error: Error & { code?: string }, url: string): string {
  if (error.code === 'ECONNREFUSED') return `nothing listens at ${url} (connection refused)`;
  if (error.code === 'ENOTFOUND') return `${new URL(url).host} does not resolve`;
  return `${url}: ${error.message}`;
}

export class ChatClient {
  private readonly pending: Pending[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly listeners = new Set<FrameListener>();
  private readonly gapListeners = new Set<GapListener>();
  private readonly rooms = new Map<string, RoomView>();
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
        for (const w of this.waiters) {
          clearTimeout(w.timer);
          w.reject(error);
        }
        this.waiters.clear();
        resolve(this.closeInfo);
      });
    });
    // Errors after the handshake end in 'close'; this keeps them from becoming unhandled.
    socket.on('error', () => {});
  }

  /** Opens a connection (token in the query string, as $connect expects); rejects with a clear reason. */
  static connect(options: ChatClientOptions): Promise<ChatClient> {
    const url = new URL(options.url);
    url.searchParams.set('token', options.token);
    const started = performance.now();
    const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, {
        handshakeTimeout: connectTimeoutMs,
        headers: { ...options.headers },
        maxPayload: 256 * 1024,
        ...(options.address ? { lookup: fixedLookup(options.address) as never } : {}),
      });
      let settled = false;
      const fail = (error: ChatClientError) => {
        if (settled) return;
        settled = true;
        socket.removeAllListeners();
        socket.on('error', () => {});
        socket.terminate();
        reject(error);
      };
      socket.once('unexpected-response', (_req, res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8').slice(0, 300).trim();
          const why =
            status === 401 || status === 403
              ? 'the token was refused'
              : status === 429
                ? 'too many connections (throttled)'
                : status >= 500
                  ? 'the gateway is unavailable'
                  : 'the upgrade was refused';
          fail(
            new ChatClientError(
              'REFUSED',
              `${options.url}: ${why} (HTTP ${status}${body ? `: ${body}` : ''})`,
              undefined,
              status,
            ),
          );
        });
        res.on('error', () =>
          fail(new ChatClientError('REFUSED', `${options.url}: HTTP ${status}`, undefined, status)),
        );
      });
      socket.once('error', (error: Error & { code?: string }) => {
        const timedOut = /timed out/i.test(error.message);
        fail(
          new ChatClientError(
            timedOut ? 'TIMEOUT' : 'CONNECT',
            timedOut
              ? `${options.url}: no WebSocket handshake within ${connectTimeoutMs} ms`
              : describeSocketError(error, options.url),
          ),
        );
      });
      socket.once('close', (code) =>
        fail(new ChatClientError('CLOSED', `${options.url}: closed before opening (${code})`)),
      );
      socket.once('open', () => {
        if (settled) return;
        settled = true;
        socket.removeAllListeners();
        resolve(new ChatClient(socket, options.url, options, performance.now() - started));
      });
    });
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
    this.gapListeners.add(listener);
    return () => this.gapListeners.delete(listener);
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

  join(roomId: string): Promise<FrameOf<'joined'>> {
    return this.request({ action: 'join', roomId }, (f) => f.type === 'joined' && f.roomId === roomId);
  }

  leave(roomId: string): Promise<FrameOf<'left'>> {
    return this.request({ action: 'leave', roomId }, (f) => f.type === 'left' && f.roomId === roomId);
  }

  /** Sends a message (a reply with parentId); resolves with the ack (messageId, duplicate). */
  send(
    roomId: string,
    text: string,
    options: { parentId?: string; clientMsgId?: string } = {},
  ): Promise<FrameOf<'ack'>> {
    const clientMsgId = options.clientMsgId ?? newClientMsgId();
    const unacked = this.rooms.get(roomId)?.unacked;
    const after = unacked?.at(-1);
    unacked?.push(clientMsgId);
    const sent = this.request<FrameOf<'ack'>>(
      {
        action: 'send',
        roomId,
        text,
        clientMsgId,
        ...(options.parentId ? { parentId: options.parentId } : {}),
        // The previous send is not acked yet: the server keeps the two in this order.
        ...(after && after < clientMsgId ? { after } : {}),
      },
      (f) => f.type === 'ack' && f.clientMsgId === clientMsgId,
    );
    const settle = () => {
      const index = unacked?.indexOf(clientMsgId) ?? -1;
      if (index >= 0) unacked?.splice(index, 1);
    };
    sent.then(settle, settle);
    return sent;
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

  private request<T extends ServerFrame>(
    frame: ClientFrame,
    match: (frame: ServerFrame) => boolean,
  ): Promise<T> {
    if (!this.isOpen) return Promise.reject(new ChatClientError('CLOSED', 'the connection is closed'));
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = {
        action: frame.action,
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

  /** Keeps each joined room's view and fills a gap a push reveals. */
  private observe(frame: ServerFrame): void {
    if (frame.type === 'joined') {
      const view: RoomView = {
        known: new Set(frame.history.map((m) => m.messageId)),
        from: frame.cursor ? (frame.history[0]?.messageId ?? '') : '',
        unacked: this.rooms.get(frame.roomId)?.unacked ?? [],
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
    if (!view || view.known.has(prevId) || !this.isOpen) return;
    const before = new Set(view.known);
    const missing: ChatMessage[] = [];
    let cursor: string | null = cursorBefore(messageId);
    try {
      for (let page = 0; cursor && page < GAP_PAGES; page++) {
        const answer = await this.history(roomId, { before: cursor });
        missing.unshift(...answer.messages.filter((m) => !before.has(m.messageId)));
        if (answer.messages.some((m) => m.messageId <= prevId)) break;
        cursor = answer.cursor;
      }
    } catch {
      return; // The connection closed or history is shed: the next push names the gap again.
    }
    if (missing.length > 0) for (const listener of this.gapListeners) listener(roomId, missing);
  }

  private dispatch(frame: ServerFrame): void {
    const at = performance.now();
    this.observe(frame);
    if (frame.type === 'error') {
      // An error answers the oldest request of its action (or, without an action, the oldest request).
      const index = this.pending.findIndex((p) => (frame.action ? p.action === frame.action : true));
      if (index >= 0) {
        const [p] = this.pending.splice(index, 1);
        clearTimeout(p.timer);
        p.reject(new ChatClientError(frame.code, `${p.action}: ${frame.message} (${frame.code})`, frame));
      }
    } else {
      const index = this.pending.findIndex((p) => p.match(frame));
      if (index >= 0) {
        const [p] = this.pending.splice(index, 1);
        clearTimeout(p.timer);
        p.resolve(frame);
      }
    }
    for (const waiter of [...this.waiters]) if (waiter.match(frame)) waiter.resolve(frame);
    for (const listener of this.listeners) listener(frame, at);
  }
}

export type { ChatMessage, Notice };
