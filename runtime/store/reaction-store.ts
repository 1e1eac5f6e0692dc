/**
 * Reactions: one item per (message, emoji, user), so that concurrent reactions and removals from any regions
 * all survive under last-writer-wins (a user's own last action on one emoji wins, as it should). The caps
 * (LIMITS.reaction*) keep every message, and so every page, within API Gateway's frame limit. The per-user
 * cap holds under concurrency in a region: each add claims its emoji in the user's counter item of this
 * region (one conditional update of a string set, written by this region only) before writing; across
 * regions, adds at the same moment can pass it by up to the cap per further region (docs/protocol.md, Sizes).
 * The per-message caps are checked against the replica, so concurrent adds by many users can pass them by a
 * few, which the pages' byte bound absorbs.
 */
import { GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ATTR, keys, PREFIX } from '../../core/datamodel.js';
import { LIMITS } from '../../core/protocol.js';
import { errorName } from '../util.js';
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
    const capKey = key(
      keys.roomPk(roomId),
      keys.reactionCapSk(messageId, userId, this.ctx.region ?? 'local'),
    );
    if (!add) {
      // A removal is a tombstone, never a delete: a delete of an item this replica has not received yet
      // writes nothing, and the add would arrive later and win. A tombstone over a legacy map's entry stays
      // (the message item is never rewritten); any other expires once replication has long passed.
      const legacy = stored.legacyReactions.get(emoji)?.has(userId) === true;
      await this.put(itemKey, messageId, emoji, userId, true, legacy ? undefined : TOMBSTONE_TTL_SECONDS);
      await this.release(capKey, [emoji]);
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
    const userEmoji = [...current].filter(([, users]) => users.has(userId)).map(([e]) => e);
    const removed = records.filter((r) => r.userId === userId && r.removed).map((r) => r.emoji);
    if (!(await this.claim(capKey, emoji, userEmoji, removed))) return 'user-cap';
    try {
      await this.put(itemKey, messageId, emoji, userId, false);
    } catch (error) {
      await this.release(capKey, [emoji]).catch(() => {});
      throw error;
    }
    return 'ok';
  }

  /**
   * Claims `emoji` in this region's counter of the user's emoji on the message: one conditional update, so that
   * of concurrent adds here at most the room left succeed. The room is the cap less what the replica shows the
   * user has that this counter does not hold (reactions made in other regions, or before counters existed);
   * an emoji the counter holds that the replica shows removed (elsewhere) gives its slot back first.
   */
  private async claim(
    capKey: Item,
    emoji: string,
    mine: readonly string[],
    removed: readonly string[],
  ): Promise<boolean> {
    const { Item: counter } = await this.ctx.db.send(
      new GetItemCommand({ TableName: this.ctx.table, Key: capKey, ConsistentRead: true }),
    );
    const held = new Set(counter?.emoji?.SS ?? []);
    const mineNow = new Set(mine);
    const stale = removed.filter((e) => held.has(e) && !mineNow.has(e) && e !== emoji);
    if (stale.length > 0) {
      await this.release(capKey, stale);
      for (const e of stale) held.delete(e);
    }
    const room = LIMITS.reactionsPerUser - mine.filter((e) => !held.has(e)).length;
    if (room <= 0) return false;
    try {
      await this.ctx.db.send(
        new UpdateItemCommand({
          TableName: this.ctx.table,
          Key: capKey,
          UpdateExpression: 'ADD emoji :add SET #type = :type',
          ConditionExpression: 'attribute_not_exists(emoji) OR size(emoji) < :room OR contains(emoji, :one)',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: {
            ':add': { SS: [emoji] },
            ':type': S('reactionCap'),
            ':room': N(room),
            ':one': S(emoji),
          },
        }),
      );
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /** Gives emoji slots back (a set is never empty: DynamoDB drops the attribute instead). */
  private async release(capKey: Item, emoji: readonly string[]): Promise<void> {
    await this.ctx.db
      .send(
        new UpdateItemCommand({
          TableName: this.ctx.table,
          Key: capKey,
          UpdateExpression: 'DELETE emoji :e',
          ConditionExpression: 'attribute_exists(emoji)',
          ExpressionAttributeValues: { ':e': { SS: [...emoji] } },
        }),
      )
      .catch((error: unknown) => {
        if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
      });
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
