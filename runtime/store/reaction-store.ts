/**
 * Reactions: one item per (message, emoji, user), so that concurrent reactions and removals from any regions
 * all survive under last-writer-wins (a user's own last action on one emoji wins, as it should). The caps
 * (LIMITS.reaction*) keep every message, and so every page, within API Gateway's frame limit; they are
 * checked against the local replica, so concurrent adds in several regions can pass a cap by a few, which
 * the pages' byte bound absorbs.
 */
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ATTR, keys, PREFIX } from '../../core/datamodel.js';
import { LIMITS } from '../../core/protocol.js';
import { type Item, key, N, readOrSkip, regionAttr, roomItems, S, type StoreContext } from './items.js';
import { type MessageStore, mergeReactions, type ReactionRecord, reactionFromItem } from './message-store.js';

/** A removal's tombstone outlives any replication lag by far. */
const TOMBSTONE_TTL_SECONDS = 24 * 60 * 60;

export type ReactOutcome = 'ok' | 'no-message' | 'emoji-cap' | 'message-cap' | 'user-cap';

export class ReactionStore {
  constructor(
    private readonly ctx: StoreContext,
    private readonly messages: MessageStore,
  ) {}

  private async records(roomId: string, messageId: string): Promise<ReactionRecord[]> {
    const out: ReactionRecord[] = [];
    let start: Item | undefined;
    do {
      const page = await this.ctx.db.send(
        new QueryCommand({
          TableName: this.ctx.table,
          ...roomItems(roomId, PREFIX.reactionsOf(messageId)),
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const record = readOrSkip(item, reactionFromItem);
        if (record) out.push(record);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /**
   * Adds or removes one user's emoji on a message (once per user per emoji), within the caps. `known`: the
   * message exists though this replica has not received it yet (docs/protocol.md, Replies and reactions
   * before replication); its reaction item waits here for it, and a page reads both once it arrives.
   */
  async react(
    roomId: string,
    messageId: string,
    emoji: string,
    userId: string,
    add: boolean,
    known = false,
  ): Promise<ReactOutcome> {
    const [found, records] = await Promise.all([
      this.messages.getStored(roomId, messageId),
      this.records(roomId, messageId),
    ]);
    if (!found && !known) return 'no-message';
    const stored = found ?? { legacyReactions: new Map<string, Set<string>>() };
    const current = mergeReactions(stored.legacyReactions, records);
    const itemKey = key(keys.roomPk(roomId), keys.reactionSk(messageId, emoji, userId));
    if (!add) {
      // A removal is a tombstone, never a delete: a delete of an item this replica has not received yet
      // writes nothing, and the add would arrive later and win. A tombstone over a legacy map's entry stays
      // (the message item is never rewritten); any other expires once replication has long passed.
      const legacy = stored.legacyReactions.get(emoji)?.has(userId) === true;
      await this.put(itemKey, messageId, emoji, userId, true, legacy ? undefined : TOMBSTONE_TTL_SECONDS);
      return 'ok';
    }
    if (current.get(emoji)?.has(userId)) return 'ok';
    let total = 0;
    let mine = 0;
    for (const users of current.values()) {
      total += users.size;
      if (users.has(userId)) mine++;
    }
    if (!current.has(emoji) && current.size >= LIMITS.reactionEmojiPerMessage) return 'emoji-cap';
    if (total >= LIMITS.reactionsPerMessage) return 'message-cap';
    if (mine >= LIMITS.reactionsPerUser) return 'user-cap';
    await this.put(itemKey, messageId, emoji, userId, false);
    return 'ok';
  }

  private async put(
    itemKey: Item,
    messageId: string,
    emoji: string,
    userId: string,
    removed: boolean,
    ttlSeconds?: number,
  ) {
    await this.ctx.db.send(
      new PutItemCommand({
        TableName: this.ctx.table,
        Item: {
          ...itemKey,
          type: S('reaction'),
          messageId: S(messageId),
          emoji: S(emoji),
          userId: S(userId),
          at: N(this.ctx.now()),
          ...regionAttr(this.ctx),
          ...(removed ? { removed: { BOOL: true } } : {}),
          ...(ttlSeconds ? { [ATTR.ttl]: N(Math.floor(this.ctx.now() / 1000) + ttlSeconds) } : {}),
        },
      }),
    );
  }
}
