/** Parsing and validation of client frames: a rejected frame gets an error code and message, and writes nothing. */

import { ID_PATTERN, ULID_PATTERN } from '../../core/message-id.js';
import {
  ACTIONS,
  type Action,
  type ClientFrame,
  cursorBefore,
  type ErrorCode,
  LIMITS,
} from '../../core/protocol.js';

export class FrameError extends Error {
  override name = 'FrameError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly action?: string,
  ) {
    super(message);
  }
}

const FIELDS: Record<Action, readonly string[]> = {
  join: ['roomId'],
  leave: ['roomId'],
  send: ['roomId', 'text', 'clientMsgId', 'parentId', 'after', 'more'],
  history: ['roomId', 'before', 'limit'],
  react: ['roomId', 'messageId', 'emoji', 'add'],
  notice: ['roomId', 'text'],
  ping: [],
};

// Control characters other than tab and newline, C1 included; lone surrogates are refused by the UTF-8 check.
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;
/**
 * What renders as nothing: white space, default-ignorable code points (U+200B zero width space, U+3164 Hangul
 * filler, U+FEFF...), format characters and the Braille blank. A text of only these is empty.
 */
const INVISIBLE = /[\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cf}\p{Cc}\u2800]/gu;
const EMOJI =
  /^(?:\p{Extended_Pictographic}|\p{Regional_Indicator}|\p{Emoji_Modifier}|\u200D|\uFE0F|\u20E3)+$/u;
const PICTOGRAPH = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u;

function isWellFormed(text: string): boolean {
  return Buffer.from(text, 'utf8').toString('utf8') === text;
}

function text(frame: Record<string, unknown>, action: Action, field: string, max: number): string {
  const value = frame[field];
  if (typeof value !== 'string') throw new FrameError('BAD_REQUEST', `${field} must be a string`, action);
  const chars = [...value].length;
  if (value.replace(INVISIBLE, '').length === 0) {
    throw new FrameError('BAD_REQUEST', `${field} is empty (it has no visible character)`, action);
  }
  if (chars > max)
    throw new FrameError('TOO_LARGE', `${field} is ${chars} characters; the limit is ${max}`, action);
  if (CONTROL.test(value) || !isWellFormed(value)) {
    throw new FrameError('BAD_REQUEST', `${field} contains control characters or broken UTF-16`, action);
  }
  return value;
}

function pattern(
  frame: Record<string, unknown>,
  action: Action,
  field: string,
  re: RegExp,
  what: string,
): string {
  const value = frame[field];
  if (typeof value !== 'string' || !re.test(value)) {
    throw new FrameError('BAD_REQUEST', `${field} must be ${what}`, action);
  }
  return value;
}

const roomId = (frame: Record<string, unknown>, action: Action) =>
  pattern(frame, action, 'roomId', LIMITS.roomIdPattern, '1-64 letters, digits, _ or -');
const messageId = (frame: Record<string, unknown>, action: Action, field: string) =>
  pattern(frame, action, field, ID_PATTERN, 'a message id (26 or 42 characters, as sent in "ack")');

/** The opaque history cursor: the id of the oldest message already seen (core/protocol.ts). */
export const encodeCursor = cursorBefore;

export function decodeCursor(cursor: string): string {
  const raw = /^[A-Za-z0-9_-]{1,64}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const id = raw.startsWith('m1:') ? raw.slice(3) : '';
  if (!ID_PATTERN.test(id))
    throw new FrameError('BAD_REQUEST', 'before is not a cursor this server gave', 'history');
  return id;
}

export function isEmoji(value: string): boolean {
  return [...value].length <= LIMITS.emojiMaxChars && EMOJI.test(value) && PICTOGRAPH.test(value);
}

/** Parses a WebSocket frame body into a validated client frame, or throws FrameError. */
export function parseFrame(body: string | undefined | null): ClientFrame {
  if (body === undefined || body === null || body.length === 0)
    throw new FrameError('BAD_REQUEST', 'empty frame');
  if (Buffer.byteLength(body) > LIMITS.frameBytes) {
    throw new FrameError('TOO_LARGE', `a frame is at most ${LIMITS.frameBytes} bytes`);
  }
  let frame: unknown;
  try {
    frame = JSON.parse(body);
  } catch {
    throw new FrameError('BAD_REQUEST', 'the frame is not JSON');
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
    throw new FrameError('BAD_REQUEST', 'the frame must be a JSON object with an "action"');
  }
  const f = frame as Record<string, unknown>;
  if (typeof f.action !== 'string') throw new FrameError('BAD_REQUEST', 'the frame has no "action"');
  const action = f.action as Action;
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw new FrameError(
      'UNKNOWN_ACTION',
      `unknown action ${JSON.stringify(f.action.slice(0, 32))}; one of ${ACTIONS.join(', ')}`,
    );
  }
  for (const field of Object.keys(f)) {
    if (field !== 'action' && !FIELDS[action].includes(field)) {
      throw new FrameError('BAD_REQUEST', `unexpected field "${field.slice(0, 32)}" for ${action}`, action);
    }
  }
  switch (action) {
    case 'ping':
      return { action };
    case 'join':
    case 'leave':
      return { action, roomId: roomId(f, action) };
    case 'send': {
      const frame: ClientFrame = {
        action,
        roomId: roomId(f, action),
        text: text(f, action, 'text', LIMITS.textChars),
        clientMsgId: pattern(
          f,
          action,
          'clientMsgId',
          LIMITS.clientMsgIdPattern,
          '1-64 letters, digits, _ or -',
        ),
      };
      if (f.parentId !== undefined) frame.parentId = messageId(f, action, 'parentId');
      if (f.after !== undefined) {
        frame.after = pattern(
          f,
          action,
          'after',
          ULID_PATTERN,
          'the clientMsgId (a ULID) of your previous send',
        );
      }
      if (f.more !== undefined) {
        if (typeof f.more !== 'boolean')
          throw new FrameError('BAD_REQUEST', 'more must be true or false', action);
        if (f.more) frame.more = true;
      }
      return frame;
    }
    case 'history': {
      const frame: ClientFrame = { action, roomId: roomId(f, action) };
      if (f.before !== undefined && f.before !== null) {
        if (typeof f.before !== 'string')
          throw new FrameError('BAD_REQUEST', 'before must be a cursor', action);
        frame.before = decodeCursor(f.before);
      }
      if (f.limit !== undefined) {
        if (
          typeof f.limit !== 'number' ||
          !Number.isInteger(f.limit) ||
          f.limit < 1 ||
          f.limit > LIMITS.historyPageMax
        ) {
          throw new FrameError(
            'BAD_REQUEST',
            `limit must be an integer from 1 to ${LIMITS.historyPageMax}`,
            action,
          );
        }
        frame.limit = f.limit;
      }
      return frame;
    }
    case 'react': {
      if (typeof f.emoji !== 'string' || !isEmoji(f.emoji)) {
        throw new FrameError(
          'BAD_REQUEST',
          `emoji must be one emoji (at most ${LIMITS.emojiMaxChars} characters)`,
          action,
        );
      }
      if (f.add !== undefined && typeof f.add !== 'boolean') {
        throw new FrameError('BAD_REQUEST', 'add must be true or false', action);
      }
      return {
        action,
        roomId: roomId(f, action),
        messageId: messageId(f, action, 'messageId'),
        emoji: f.emoji,
        add: f.add !== false,
      };
    }
    case 'notice':
      return { action, roomId: roomId(f, action), text: text(f, action, 'text', LIMITS.noticeChars) };
  }
}
