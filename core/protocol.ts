/** The WebSocket protocol between chat clients and the gateway (docs/architecture.md, The WebSocket protocol). */

/**
 * How a client presents its token at $connect: in the Sec-WebSocket-Protocol header, never in the URL (logs
 * record URLs). It asks for two subprotocols, CHAT_SUBPROTOCOL and the token itself (a dev token or a JWT is
 * made of a subprotocol's allowed characters); $connect echoes CHAT_SUBPROTOCOL alone, as API Gateway needs
 * (a client that asked for subprotocols refuses a handshake that names none). docs/protocol.md, Connecting.
 */
export const CHAT_SUBPROTOCOL = 'chat.v1';

/** The subprotocols a client asks for: the chat's, then the token. */
export function connectProtocols(token: string): string[] {
  return [CHAT_SUBPROTOCOL, token];
}

/**
 * What a Sec-WebSocket-Protocol header (comma-separated) offers: whether the chat's subprotocol is among
 * them, and the token (the first other entry).
 */
export function offeredProtocols(header: string | undefined): { chat: boolean; token?: string } {
  const entries = (header ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  const token = entries.find((entry) => entry !== CHAT_SUBPROTOCOL);
  return { chat: entries.includes(CHAT_SUBPROTOCOL), ...(token ? { token } : {}) };
}

/** Client actions, selected by `$request.body.action`. */
export const ACTIONS = ['join', 'leave', 'send', 'history', 'react', 'notice', 'ping'] as const;
export type Action = (typeof ACTIONS)[number];

/** Every function route the stacks deploy; lanes in the topology are keyed by these. */
export const ROUTES = ['connect', 'disconnect', 'default', ...ACTIONS, 'relay', 'health', 'stream'] as const;
export type Route = (typeof ROUTES)[number];

/** API Gateway WebSocket limits (AWS documentation). */
export const LIMITS = {
  frameBytes: 32 * 1024,
  messageBytes: 128 * 1024,
  idleTimeoutMs: 10 * 60 * 1000,
  maxConnectionMs: 2 * 60 * 60 * 1000,
  /** Chat text is capped well under the frame size so that a message plus its envelope always fits. */
  textChars: 4000,
  noticeChars: 1000,
  roomIdPattern: /^[A-Za-z0-9_-]{1,64}$/,
  clientMsgIdPattern: /^[A-Za-z0-9_-]{1,64}$/,
  historyPageMax: 100,
  historyPageDefault: 50,
  joinHistory: 50,
  emojiMaxChars: 16,
  /**
   * Every answer and push is built to fit `messageBytes`: a page of messages stops at `pageBytes` of
   * serialized messages (the envelope, the notice included, fits in the rest), with a cursor for the rest.
   */
  pageBytes: 100 * 1024,
  /** Reactions on one message: distinct emoji, (user, emoji) pairs in all, and per user. */
  reactionEmojiPerMessage: 20,
  reactionsPerMessage: 200,
  reactionsPerUser: 10,
  /**
   * A clientMsgId that is a ULID names its message in every region (docs/protocol.md, Message ids): its time
   * may be at most this far ahead of the server's clock...
   */
  clientIdAheadMs: 5 * 60 * 1000,
  /** ...and at most this far behind it (the dedupe window of a retry after failover). */
  clientIdBehindMs: 24 * 60 * 60 * 1000,
} as const;

export interface JoinRequest {
  action: 'join';
  roomId: string;
}
export interface LeaveRequest {
  action: 'leave';
  roomId: string;
}
export interface SendRequest {
  action: 'send';
  roomId: string;
  text: string;
  /**
   * A ULID (26 Crockford base-32 characters, time first, strictly increasing per sender) for cross-region
   * dedupe and order; any other 1-64 [A-Za-z0-9_-] dedupes in the receiving region only.
   */
  clientMsgId: string;
  parentId?: string;
  /**
   * The clientMsgId of this sender's previous send in the room, not acked yet and sent with `more`: this
   * one is pushed after it (docs/protocol.md, Order).
   */
  after?: string;
  /**
   * The client may send its next message before this one is acked (naming this one in `after`): the server
   * records this send pushed, so that the next is pushed after it. Without it nothing is recorded.
   */
  more?: boolean;
}
export interface HistoryRequest {
  action: 'history';
  roomId: string;
  before?: string;
  limit?: number;
}
/**
 * The history cursor (opaque to clients) that pages from just before `messageId`: `history` answers with
 * the messages older than it. A client that notices a gap (a push whose prevId it has not seen) pages
 * from the push's own id back to that prevId (docs/protocol.md, Gaps).
 */
export function cursorBefore(messageId: string): string {
  return Buffer.from(`m1:${messageId}`).toString('base64url');
}

export interface ReactRequest {
  action: 'react';
  roomId: string;
  messageId: string;
  emoji: string;
  /** Omitted or true adds the reaction; false removes it. */
  add?: boolean;
}
export interface NoticeRequest {
  action: 'notice';
  roomId: string;
  text: string;
}
export interface PingRequest {
  action: 'ping';
}
export type ClientFrame =
  | JoinRequest
  | LeaveRequest
  | SendRequest
  | HistoryRequest
  | ReactRequest
  | NoticeRequest
  | PingRequest;

export interface ChatMessage {
  messageId: string;
  roomId: string;
  userId: string;
  text: string;
  sentAt: number;
  /** Region key where the message was sent. */
  region: string;
  clientMsgId: string;
  parentId?: string;
  /**
   * On pushes: the newest message below this one that the sending region held right after writing it. A
   * client that has not seen it (and it is newer than its joined history) pages `history` to fill the gap.
   */
  prevId?: string;
  /** emoji -> user ids */
  reactions?: Record<string, string[]>;
}

export interface Notice {
  roomId: string;
  text: string;
  userId: string;
  setAt: number;
}

export const ERROR_CODES = [
  'BAD_REQUEST',
  'UNKNOWN_ACTION',
  'NOT_FOUND',
  'NOT_MEMBER',
  'TOO_LARGE',
  /** A cap was reached (reactions per message or per user). */
  'LIMIT',
  'OVERLOADED',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export type ServerFrame =
  | {
      type: 'joined';
      roomId: string;
      history: ChatMessage[];
      notice: Notice | null;
      cursor: string | null;
      /**
       * Optional (added within chat.v1; docs/protocol.md, Frames): how far this region's replica lags behind
       * the others (ms), as its surge controller last measured it; a client waits twice that for a gap.
       */
      replicationLagMs?: number;
    }
  | { type: 'left'; roomId: string }
  | { type: 'ack'; clientMsgId: string; messageId: string; duplicate: boolean }
  | { type: 'message'; message: ChatMessage }
  | {
      type: 'history';
      roomId: string;
      messages: ChatMessage[];
      cursor: string | null;
      /** Optional, as on `joined`: the region's replication lag now. */
      replicationLagMs?: number;
    }
  | { type: 'reaction'; roomId: string; messageId: string; emoji: string; userId: string; added: boolean }
  | { type: 'notice'; notice: Notice }
  | { type: 'pong'; region: string; time: number }
  | {
      type: 'error';
      code: ErrorCode;
      message: string;
      retryAfterMs?: number;
      action?: string;
      /** On a refused send: its clientMsgId, so that a client with several sends in flight knows which. */
      clientMsgId?: string;
    };

/** Load levels for surges (README, Traffic levels): what each level sheds; `send` is never shed. */
export const LOAD_LEVELS = {
  0: 'normal: everything served',
  1: 'history paging limited to 20 per page, join history to 20',
  2: 'level 1, and reactions and notices shed',
  3: 'level 2, and new connections and history paging shed (send, join and its fan-out still served)',
} as const;
export type LoadLevel = 0 | 1 | 2 | 3;

/** How long a handler trusts the load level it read (as a Lambda container would): a new level acts this late. */
export const LOAD_LEVEL_CACHE_MS = 5000;
