/**
 * The chat's storage port over the one DynamoDB table (docs/protocol.md, Data model): presence and connections,
 * messages, reactions, and here the notice, the relay's dedupe markers and the health probe. Every read is a
 * Query on one room partition or a GetItem: never a Scan.
 */
import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ATTR, keys } from '../../core/datamodel.js';
import type { Notice } from '../../core/protocol.js';
import { errorName } from '../util.js';
import { key, N, num, readOrSkip, regionAttr, S, type StoreContext, str } from './items.js';
import { MessageStore } from './message-store.js';
import { PresenceStore } from './presence-store.js';
import { ReactionStore } from './reaction-store.js';

export { CLIENT_MSG_ID_TTL_SECONDS, type MessagePage } from './message-store.js';
export type { ConnectionRecord, PresenceRecord, RoomPresence } from './presence-store.js';
export type { ReactOutcome } from './reaction-store.js';

/** How long a relayed frame's dedupe marker lives. */
export const RELAY_MARKER_TTL_SECONDS = 15 * 60;

export class ChatStore {
  readonly presence: PresenceStore;
  readonly messages: MessageStore;
  readonly reactions: ReactionStore;
  private readonly ctx: StoreContext;

  constructor(
    readonly db: DynamoDBClient,
    readonly table: string,
    now: () => number = Date.now,
    region?: string,
  ) {
    this.ctx = { db, table, now, ...(region ? { region } : {}) };
    this.presence = new PresenceStore(this.ctx);
    this.messages = new MessageStore(this.ctx);
    this.reactions = new ReactionStore(this.ctx, this.messages);
  }

  private nowSeconds(): number {
    return Math.floor(this.ctx.now() / 1000);
  }

  /** The notice is one value per room: last-writer-wins across regions is its right semantics. */
  async putNotice(notice: Notice): Promise<void> {
    await this.db.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          ...key(keys.roomPk(notice.roomId), keys.noticeSk),
          type: S('notice'),
          roomId: S(notice.roomId),
          text: S(notice.text),
          userId: S(notice.userId),
          setAt: N(notice.setAt),
          ...regionAttr(this.ctx),
        },
      }),
    );
  }

  async getNotice(roomId: string): Promise<Notice | null> {
    const { Item } = await this.db.send(
      new GetItemCommand({ TableName: this.table, Key: key(keys.roomPk(roomId), keys.noticeSk) }),
    );
    if (!Item) return null;
    return (
      readOrSkip(Item, (item) => ({
        roomId,
        text: str(item, 'text'),
        userId: str(item, 'userId'),
        setAt: num(item, 'setAt'),
      })) ?? null
    );
  }

  /** Claims a relayed frame for this region: true the first time, false when already claimed. */
  async claimRelay(roomId: string, region: string, relayId: string): Promise<boolean> {
    try {
      await this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            ...key(keys.roomPk(roomId), keys.relaySk(region, relayId)),
            type: S('relay'),
            [ATTR.ttl]: N(this.nowSeconds() + RELAY_MARKER_TTL_SECONDS),
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': ATTR.pk },
        }),
      );
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /** Whether this region's relay posted `relayId` in the room (its marker, read consistently). */
  async relayed(roomId: string, region: string, relayId: string): Promise<boolean> {
    const { Item } = await this.db.send(
      new GetItemCommand({
        TableName: this.table,
        Key: key(keys.roomPk(roomId), keys.relaySk(region, relayId)),
        ConsistentRead: true,
        ProjectionExpression: '#pk',
        ExpressionAttributeNames: { '#pk': ATTR.pk },
      }),
    );
    return Item !== undefined;
  }

  async releaseRelay(roomId: string, region: string, relayId: string): Promise<void> {
    await this.db.send(
      new DeleteItemCommand({
        TableName: this.table,
        Key: key(keys.roomPk(roomId), keys.relaySk(region, relayId)),
      }),
    );
  }

  /**
   * The health probe: a conditional write of this region's probe item. The replica evaluates the condition on
   * its write path, so a failed condition proves it as well as a write; writing at most once per
   * `minIntervalMs` keeps Route 53's many checkers from flooding the stream and the replication with probes.
   * Returns whether the item was written.
   */
  async probeWrite(region: string, minIntervalMs = 10_000): Promise<boolean> {
    const now = this.ctx.now();
    try {
      await this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { ...key(keys.healthPk, keys.healthSk(region)), checkedAt: N(now) },
          ConditionExpression: 'attribute_not_exists(#pk) OR checkedAt <= :stale',
          ExpressionAttributeNames: { '#pk': ATTR.pk },
          ExpressionAttributeValues: { ':stale': N(now - minIntervalMs) },
        }),
      );
      return true;
    } catch (error) {
      if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
      return false;
    }
  }
}
