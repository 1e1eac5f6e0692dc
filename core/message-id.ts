/**
 * Message ids (docs/protocol.md, Message ids): 26 Crockford base-32 characters, 10 of millisecond time then 16
 * more, so that they sort by time as strings (a ULID's layout). A send whose clientMsgId is itself a ULID gets
 * an id every region derives alike from (room, user, clientMsgId): a retry in another region after a failover
 * writes the same item, and the replicas converge on one message under last-writer-wins.
 */
import { createHash, randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
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

/**
 * The id of the message a ULID clientMsgId names: its time, then 16 characters of a hash of room, user and
 * clientMsgId (so one user's id can never name another user's message). Undefined when clientMsgId is not a
 * ULID or its time is outside [now - behindMs, now + aheadMs].
 */
export function derivedMessageId(
  roomId: string,
  userId: string,
  clientMsgId: string,
  now: number,
  window: { aheadMs: number; behindMs: number },
): string | undefined {
  const time = idTime(clientMsgId);
  if (Number.isNaN(time) || time > now + window.aheadMs || time < now - window.behindMs) return undefined;
  const hash = createHash('sha256').update(`${roomId}\n${userId}\n${clientMsgId}`).digest();
  return encodeTime(time) + base32(hash, 16);
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
