/**
 * A region's stream records -> chat events (core/events.ts). On AWS this is the event pipe's enrichment
 * (handlers/events.ts) after the pipe's filter; the sandbox's local bus calls it on every record of each
 * region's stream. It applies the filter's rule again (only writes made in `regionKey`, no TTL deletions), so
 * a record the filter let through by mistake, or a stream read without one, still yields each event once.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { CHAT_EVENT_VERSION, type ChatEvent, chatEventSchema } from '../../core/events.js';

type Image = Record<string, unknown>;

function imageOf(raw: unknown): Image | undefined {
  if (!raw) return undefined;
  return unmarshall(raw as Record<string, AttributeValue>, { wrapNumbers: false }) as Image;
}

const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** The item's room: its `roomId`, else from its `ROOM#<roomId>` partition key. */
function roomOf(image: Image): string | undefined {
  const pk = str(image.pk);
  return str(image.roomId) ?? (pk?.startsWith('ROOM#') ? pk.slice('ROOM#'.length) : undefined);
}

/** The fields of the event a record stands for (before the envelope), or undefined when it is none. */
function body(
  name: string | undefined,
  next: Image | undefined,
  old: Image | undefined,
): Record<string, unknown> | undefined {
  if (name === 'REMOVE') {
    if (old?.type !== 'presence') return undefined;
    return { type: 'chat.member.left', userId: old.userId, connectionId: old.connectionId };
  }
  if (!next) return undefined;
  switch (next.type) {
    case 'message': {
      // A message is written once; anything later on its item is not a new message.
      if (name !== 'INSERT') return undefined;
      const fields = {
        messageId: next.messageId,
        userId: next.userId,
        text: next.text,
        at: next.sentAt,
        ...(str(next.clientMsgId) ? { clientMsgId: next.clientMsgId } : {}),
      };
      return next.parentId
        ? { type: 'chat.reply.sent', ...fields, parentId: next.parentId }
        : { type: 'chat.message.sent', ...fields };
    }
    case 'reaction': {
      const wasOn = old !== undefined && old.removed !== true;
      const isOn = next.removed !== true;
      // A removal of what was never there, or a write that changes nothing, is no event.
      if (wasOn === isOn) return undefined;
      return {
        type: isOn ? 'chat.reaction.added' : 'chat.reaction.removed',
        messageId: next.messageId,
        emoji: next.emoji,
        userId: next.userId,
        at: next.at,
      };
    }
    case 'notice':
      return { type: 'chat.notice.pinned', userId: next.userId, text: next.text, at: next.setAt };
    case 'presence':
      // A rewrite of a presence (a send's bookkeeping, a copy coming back) is not a join.
      if (name !== 'INSERT') return undefined;
      return {
        type: 'chat.member.joined',
        userId: next.userId,
        connectionId: next.connectionId,
        at: next.joinedAt,
      };
    default:
      return undefined;
  }
}

/**
 * The chat event of one stream record of `regionKey`'s replica, or undefined: a replicated copy (its
 * `region` is another key), a TTL deletion, bookkeeping, or an item that does not read as the contract says
 * (logged, never thrown: one bad item must not stop the feed).
 */
export function chatEventOf(record: DynamoDBRecord, regionKey: string): ChatEvent | undefined {
  if (record.userIdentity) return undefined;
  const next = imageOf(record.dynamodb?.NewImage);
  const old = imageOf(record.dynamodb?.OldImage);
  const image = next ?? old;
  if (!image || image.region !== regionKey) return undefined;
  const fields = body(record.eventName, next, old);
  if (!fields) return undefined;
  const approximate = num(record.dynamodb?.ApproximateCreationDateTime);
  const candidate = {
    version: CHAT_EVENT_VERSION,
    id: record.eventID ?? `${str(image.pk)}|${str(image.sk)}|${record.dynamodb?.SequenceNumber}`,
    region: regionKey,
    roomId: roomOf(image),
    ...fields,
    at: num(fields.at) ?? (approximate !== undefined ? Math.round(approximate * 1000) : Date.now()),
  };
  const parsed = chatEventSchema.safeParse(candidate);
  if (!parsed.success) {
    console.warn(
      `skipping a ${String(fields.type)} record that does not fit the event contract (${str(image.pk)} / ${str(image.sk)}): ${parsed.error.issues[0]?.message}`,
    );
    return undefined;
  }
  return parsed.data;
}

/** Every event of a batch of one region's records, in stream order. */
export function chatEventsOf(records: readonly DynamoDBRecord[], regionKey: string): ChatEvent[] {
  const out: ChatEvent[] = [];
  for (const record of records) {
    const event = chatEventOf(record, regionKey);
    if (event) out.push(event);
  }
  return out;
}
