/** The WebSocket protocol between chat clients and the gateway (docs/architecture.md, The WebSocket protocol). */

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
  clientMsgId: string;
  parentId?: string;
}
export interface HistoryRequest {
  action: 'history';
  roomId: string;
  before?: string;
  limit?: number;
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
  'OVERLOADED',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export type ServerFrame =
  | { type: 'joined'; roomId: string; history: ChatMessage[]; notice: Notice | null; cursor: string | null }
  | { type: 'left'; roomId: string }
  | { type: 'ack'; clientMsgId: string; messageId: string; duplicate: boolean }
  | { type: 'message'; message: ChatMessage }
  | { type: 'history'; roomId: string; messages: ChatMessage[]; cursor: string | null }
  | { type: 'reaction'; roomId: string; messageId: string; emoji: string; userId: string; added: boolean }
  | { type: 'notice'; notice: Notice }
  | { type: 'pong'; region: string; time: number }
  | { type: 'error'; code: ErrorCode; message: string; retryAfterMs?: number; action?: string };

/** Load levels for surges (README, Traffic levels): what each level sheds; `send` is never shed. */
export const LOAD_LEVELS = {
  0: 'normal: everything served',
  1: 'history paging limited to 20 per page, join history to 20',
  2: 'level 1, and reactions and notices shed',
  3: 'level 2, and new connections and history paging shed (send, join and its fan-out still served)',
} as const;
export type LoadLevel = 0 | 1 | 2 | 3;
