/**
 * Message ids (docs/protocol.md, Message ids): Crockford base-32, 10 characters of millisecond time first, so
 * that they sort by time as strings (a ULID's layout). A server-made id is 26 characters (a ULID). A send
 * whose clientMsgId is itself a ULID gets an id every region derives alike: the whole ULID, then 16
 * characters of a hash of room, user, clientMsgId and content (42 in all). It keeps the client's full ULID
 * order (a monotonic generator's same-millisecond ids too); a retry in another region after a failover writes
 * the same item with the same content, and the replicas converge on one message under last-writer-wins.
 */
import { createHash, randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** A ULID: what clientMsgIds that name their message are, and what server-made message ids are. */
export const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
/** A message id: a ULID (server-made, or derived before ids kept the whole ULID) or a derived id of 42. */
export const ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}(?:[0-9A-HJKMNP-TV-Z]{16})?$/;
const TIME_CHARS = 10;
/** The largest time 10 characters hold (48 bits, as in a ULID). */
const MAX_TIME = 2 ** 48 - 1;

export function encodeTime(ms: number): string {
  let out = '';
  let t = ms;
  for (let i = 0; i < TIME_CHARS; i++) {
    out = CROCKFORD[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

/** The millisecond time of an id (its first 10 characters); NaN when it is not an id. */
export function idTime(id: string): number {
  if (!ID_PATTERN.test(id)) return Number.NaN;
  let t = 0;
  for (let i = 0; i < TIME_CHARS; i++) t = t * 32 + CROCKFORD.indexOf(id[i]);
  return t <= MAX_TIME ? t : Number.NaN;
}

function base32(bytes: Uint8Array, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i++) out += CROCKFORD[bytes[i] % 32];
  return out;
}

/** A fresh id at `now` with a random tail (server-side ids of sends whose clientMsgId is not a ULID). */
export function newId(now = Date.now()): string {
  return encodeTime(now) + base32(randomBytes(16), 16);
}

/** What a message says: part of its derived id, so that one id never carries two texts. */
export interface MessageContent {
  readonly text: string;
  readonly parentId?: string;
}

/**
 * The id of the message a ULID clientMsgId names: the ULID itself (its order is the sender's), then 16
 * characters of a hash of room, user, clientMsgId and content: one user's id never names another user's
 * message, and one id never carries two texts (the same clientMsgId sent again with another text is
 * another message, in every region alike). Undefined when clientMsgId is not a ULID or its time is outside
 * [now - behindMs, now + aheadMs].
 */
export function derivedMessageId(
  roomId: string,
  userId: string,
  clientMsgId: string,
  content: MessageContent,
  now: number,
  window: { aheadMs: number; behindMs: number },
): string | undefined {
  if (!ULID_PATTERN.test(clientMsgId)) return undefined;
  const time = idTime(clientMsgId);
  if (Number.isNaN(time) || time > now + window.aheadMs || time < now - window.behindMs) return undefined;
  const named = JSON.stringify([roomId, userId, clientMsgId, content.text, content.parentId ?? null]);
  return clientMsgId + base32(createHash('sha256').update(named).digest(), 16);
}

/**
 * Client ids for sends: ULIDs whose millisecond time strictly increases (a second id in the same millisecond
 * takes the next one), so that one sender's messages sort in the order it sent them.
 */
export function clientIdClock(now: () => number = Date.now): () => string {
  let last = 0;
  return () => {
    last = Math.max(now(), last + 1);
    return newId(last);
  };
}
