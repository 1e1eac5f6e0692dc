/**
 * Messages and their reactions (docs/protocol.md, Data model). A message item is written once and never
 * modified; each reaction is its own item right after its message, so a page's one Query reads both. Items
 * written before reactions had their own items keep a `reactions` map: it is still read, and reaction items
 * (a removal is a tombstone item) take precedence over it. An item the runtime cannot read is skipped and
 * logged; the rest of the room is served.
 */
import {
  type AttributeValue,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { ATTR, keys, PREFIX } from '../../core/datamodel.js';
import { CANARY_MESSAGE_TTL_SECONDS, isCanaryMessage } from '../../core/observability.js';
import type { ChatMessage } from '../../core/protocol.js';
import { LIMITS } from '../../core/protocol.js';
import { errorName } from '../util.js';
import { type Item, key, N, num, optStr, readOrSkip, roomItems, S, type StoreContext, str } from './items.js';

/** How long a send's client message id is remembered for a clientMsgId that is not a ULID. */
export const CLIENT_MSG_ID_TTL_SECONDS = 24 * 60 * 60;

export interface MessagePage {
  /** Oldest first. */
  readonly messages: ChatMessage[];
  /** The id of the oldest message returned when older ones may exist (the next page starts before it). */
  readonly next: string | null;
}

/** One user's reaction as its item records it; `removed` is a tombstone over a legacy map's entry. */
export interface ReactionRecord {
  readonly messageId: string;
  readonly emoji: string;
  readonly userId: string;
  readonly removed: boolean;
}

function messageItem(message: ChatMessage): Item {
  return {
    ...key(keys.roomPk(message.roomId), keys.messageSk(message.messageId)),
    type: S('message'),
    messageId: S(message.messageId),
    roomId: S(message.roomId),
    userId: S(message.userId),
    text: S(message.text),
    sentAt: N(message.sentAt),
    region: S(message.region),
    clientMsgId: S(message.clientMsgId),
    ...(message.parentId ? { parentId: S(message.parentId) } : {}),
    // The canary's messages expire (its room would grow by a message a minute forever); users' never do.
    ...(isCanaryMessage(message.roomId, message.userId)
      ? { [ATTR.ttl]: N(Math.floor(message.sentAt / 1000) + CANARY_MESSAGE_TTL_SECONDS) }
      : {}),
  };
}

/** A message item as stored, with the legacy reactions map (emoji -> user ids) when it has one. */
interface StoredMessage {
  readonly message: ChatMessage;
  readonly legacyReactions: Map<string, Set<string>>;
}

function storedMessage(item: Item): StoredMessage {
  const parentId = optStr(item, 'parentId');
  const legacyReactions = new Map<string, Set<string>>();
  for (const [emoji, users] of Object.entries(item.reactions?.M ?? {})) {
    if (users.SS && users.SS.length > 0) legacyReactions.set(emoji, new Set(users.SS));
  }
  return {
    message: {
      messageId: str(item, 'messageId'),
      roomId: str(item, 'roomId'),
      userId: str(item, 'userId'),
      text: str(item, 'text'),
      sentAt: num(item, 'sentAt'),
      region: str(item, 'region'),
      clientMsgId: str(item, 'clientMsgId'),
      ...(parentId ? { parentId } : {}),
    },
    legacyReactions,
  };
}

export function reactionFromItem(item: Item): ReactionRecord {
  return {
    messageId: str(item, 'messageId'),
    emoji: str(item, 'emoji'),
    userId: str(item, 'userId'),
    removed: item.removed?.BOOL === true,
  };
}

/** emoji -> user ids: the legacy map, overridden by reaction items (added, or removed by a tombstone). */
export function mergeReactions(
  legacy: ReadonlyMap<string, ReadonlySet<string>>,
  records: readonly ReactionRecord[],
): Map<string, Set<string>> {
  const merged = new Map<string, Set<string>>();
  for (const [emoji, users] of legacy) merged.set(emoji, new Set(users));
  for (const r of records) {
    const users = merged.get(r.emoji) ?? new Set<string>();
    if (r.removed) users.delete(r.userId);
    else users.add(r.userId);
    if (users.size > 0) merged.set(r.emoji, users);
    else merged.delete(r.emoji);
  }
  return merged;
}

function withReactions(message: ChatMessage, reactions: Map<string, Set<string>>): ChatMessage {
  if (reactions.size === 0) return message;
  const out: Record<string, string[]> = {};
  for (const emoji of [...reactions.keys()].sort()) out[emoji] = [...reactions.get(emoji)!].sort();
  return { ...message, reactions: out };
}

const byteLength = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** Items a page Query reads per round beyond the messages it still needs (reactions sit in between). */
const QUERY_SLACK = 50;

export class MessageStore {
  constructor(private readonly ctx: StoreContext) {}

  private nowSeconds(): number {
    return Math.floor(this.ctx.now() / 1000);
  }

  /**
   * Writes a message whose id is derived from a ULID clientMsgId (see core/message-id.ts): one conditional
   * PutItem on its own key. The same send retried anywhere names the same item, so an existing one is the
   * first write: `duplicate: true`.
   */
  async putDerived(message: ChatMessage): Promise<{ messageId: string; duplicate: boolean }> {
    try {
      await this.ctx.db.send(
        new PutItemCommand({
          TableName: this.ctx.table,
          Item: messageItem(message),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': ATTR.pk },
        }),
      );
      return { messageId: message.messageId, duplicate: false };
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
      return { messageId: message.messageId, duplicate: true };
    }
  }

  /**
   * Writes a message once per (user, clientMsgId) for a clientMsgId that is not a ULID: one transaction of
   * the idempotency record and the message. A retry in this region gets the first id with `duplicate: true`;
   * in another region, before replication, it cannot know (docs/protocol.md, Message ids).
   */
  async putWithRecord(message: ChatMessage): Promise<{ messageId: string; duplicate: boolean }> {
    const cmidKey = key(keys.roomPk(message.roomId), keys.clientMsgSk(message.userId, message.clientMsgId));
    try {
      await this.ctx.db.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.ctx.table,
                Item: {
                  ...cmidKey,
                  type: S('clientMsgId'),
                  messageId: S(message.messageId),
                  [ATTR.ttl]: N(this.nowSeconds() + CLIENT_MSG_ID_TTL_SECONDS),
                },
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': ATTR.pk },
              },
            },
            {
              Put: {
                TableName: this.ctx.table,
                Item: messageItem(message),
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': ATTR.pk },
              },
            },
          ],
        }),
      );
      return { messageId: message.messageId, duplicate: false };
    } catch (error) {
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
      if (
        errorName(error) !== 'TransactionCanceledException' ||
        reasons?.[0]?.Code !== 'ConditionalCheckFailed'
      ) {
        throw error;
      }
      const { Item } = await this.ctx.db.send(
        new GetItemCommand({ TableName: this.ctx.table, Key: cmidKey, ConsistentRead: true }),
      );
      if (!Item?.messageId?.S) throw error;
      return { messageId: Item.messageId.S, duplicate: true };
    }
  }

  /** A message as stored (without its reaction items), or undefined when absent or unreadable. */
  async getStored(roomId: string, messageId: string, consistent = false): Promise<StoredMessage | undefined> {
    const { Item } = await this.ctx.db.send(
      new GetItemCommand({
        TableName: this.ctx.table,
        Key: key(keys.roomPk(roomId), keys.messageSk(messageId)),
        ...(consistent ? { ConsistentRead: true } : {}),
      }),
    );
    return Item ? readOrSkip(Item, storedMessage) : undefined;
  }

  async getMessage(roomId: string, messageId: string, consistent = false): Promise<ChatMessage | undefined> {
    return (await this.getStored(roomId, messageId, consistent))?.message;
  }

  /**
   * Read just after a send's write, in one consistent Query: `region`'s presence epoch (its copy above the
   * messages) and the newest message below `messageId` (the push's prevId). `regionsBelow` is how many
   * region keys sort before `region`: their epoch items lie in between.
   */
  async afterWrite(
    roomId: string,
    messageId: string,
    region: string,
    regionsBelow: number,
  ): Promise<{ epoch: number; prevId?: string }> {
    const page = await this.ctx.db.send(
      new QueryCommand({
        TableName: this.ctx.table,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
        ExpressionAttributeNames: { '#pk': ATTR.pk, '#sk': ATTR.sk, '#type': 'type' },
        ExpressionAttributeValues: {
          ':pk': S(keys.roomPk(roomId)),
          ':lo': S(PREFIX.message),
          ':hi': S(keys.messageEpochSk(region)),
        },
        ScanIndexForward: false,
        ConsistentRead: true,
        // This region's epoch, the ones in between, and two messages (one may be a newer concurrent one).
        Limit: regionsBelow + 3,
        ProjectionExpression: '#sk, #type, messageId, epoch',
      }),
    );
    let epoch = 0;
    let prevId: string | undefined;
    for (const item of page.Items ?? []) {
      if (item.type?.S === 'presenceEpoch') {
        if (item[ATTR.sk]?.S === keys.messageEpochSk(region)) epoch = Number(item.epoch?.N ?? 0);
        continue;
      }
      const id = item.messageId?.S;
      if (!prevId && id && id < messageId) prevId = id;
    }
    return { epoch, ...(prevId ? { prevId } : {}) };
  }

  /**
   * The prevId of each of `ids` (the newest message below it in this replica, read consistently), for the
   * pushes of sends queued behind another (docs/protocol.md, Order), which are pushed after all of them were
   * written. One Query down from the newest of them; an id whose predecessor lies beyond it gets none.
   */
  async prevIds(roomId: string, ids: readonly string[]): Promise<Map<string, string>> {
    const prev = new Map<string, string>();
    const newest = [...ids].sort().at(-1);
    if (!newest) return prev;
    const page = await this.ctx.db.send(
      new QueryCommand({
        TableName: this.ctx.table,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
        ExpressionAttributeNames: { '#pk': ATTR.pk, '#sk': ATTR.sk },
        ExpressionAttributeValues: {
          ':pk': S(keys.roomPk(roomId)),
          ':lo': S(PREFIX.message),
          ':hi': S(keys.messageSk(newest)),
        },
        ScanIndexForward: false,
        ConsistentRead: true,
        // The queued messages, the one below the oldest, and room for reactions and others' messages.
        Limit: 2 * ids.length + 8,
        ProjectionExpression: '#sk, messageId',
      }),
    );
    // Newest first and contiguous from `newest` down: the first id below one is its predecessor.
    const read = (page.Items ?? []).map((item) => item.messageId?.S).filter((id): id is string => !!id);
    for (const id of ids) {
      const below = read.find((other) => other < id);
      if (below) prev.set(id, below);
    }
    return prev;
  }

  /**
   * One page of messages with their reactions, newest first from DynamoDB, returned oldest first; `before`
   * is a message id. The page holds at most `limit` messages and at most `maxBytes` of them serialized, so
   * that the frame carrying it fits API Gateway's limit; a message too large alone loses its reactions.
   * `consistent` for a join's page: it must hold every message written before the join was recorded.
   */
  async page(
    roomId: string,
    limit: number,
    before?: string,
    maxBytes = LIMITS.pageBytes,
    consistent = false,
  ): Promise<MessagePage> {
    const messages: ChatMessage[] = [];
    let bytes = 2;
    let pendingReactions: ReactionRecord[] = [];
    let start: Record<string, AttributeValue> | undefined = before
      ? key(keys.roomPk(roomId), keys.messageSk(before))
      : undefined;
    let full = false;
    let more = true;
    while (!full && more) {
      const result = await this.ctx.db.send(
        new QueryCommand({
          TableName: this.ctx.table,
          ...roomItems(roomId, PREFIX.message),
          ScanIndexForward: false,
          Limit: limit - messages.length + QUERY_SLACK,
          ExclusiveStartKey: start,
          ...(consistent ? { ConsistentRead: true } : {}),
        }),
      );
      const items = result.Items ?? [];
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        if (item.type?.S === 'presenceEpoch') continue;
        if (item.type?.S === 'reaction') {
          const reaction = readOrSkip(item, reactionFromItem);
          if (reaction) pendingReactions.push(reaction);
          continue;
        }
        // Reaction items sort after their message, so in this descending read they came just before it.
        const stored = readOrSkip(item, storedMessage);
        const own = pendingReactions.filter((r) => r.messageId === stored?.message.messageId);
        pendingReactions = [];
        if (!stored) continue;
        let message = withReactions(stored.message, mergeReactions(stored.legacyReactions, own));
        let size = byteLength(message) + 1;
        if (size > maxBytes && message.reactions) {
          console.warn(
            `message ${message.messageId} in ${roomId} is too large with its reactions; sent without`,
          );
          message = stored.message;
          size = byteLength(message) + 1;
        }
        if (bytes + size > maxBytes && messages.length > 0) {
          full = true;
          break;
        }
        messages.push(message);
        bytes += size;
        if (messages.length >= limit) {
          full = true;
          // Older messages may follow: the rest of this read, or the next one.
          if (i === items.length - 1 && !result.LastEvaluatedKey) full = false;
          break;
        }
      }
      if (full) break;
      start = result.LastEvaluatedKey;
      more = start !== undefined;
    }
    const oldest = messages.at(-1);
    return { messages: messages.reverse(), next: full && oldest ? oldest.messageId : null };
  }
}
