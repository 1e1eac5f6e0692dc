/**
 * The chat's storage port over the one DynamoDB table (docs/architecture.md, Data model). Every read is a Query on one
 * room partition or a GetItem: never a Scan.
 */
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ATTR, CONNECTION_TTL_SECONDS, keys, PREFIX, prefixRange } from '../../core/datamodel.js';
import type { ChatMessage, Notice } from '../../core/protocol.js';
import { errorName } from '../util.js';

export interface ConnectionRecord {
  readonly region: string;
  readonly connectionId: string;
  readonly userId: string;
  /** Epoch ms. */
  readonly connectedAt: number;
  /** Epoch s (TTL). */
  readonly expiresAt: number;
  /** The @connections endpoint that reaches this connection (from the $connect event). */
  readonly endpoint?: string;
  readonly rooms: readonly string[];
}

export interface PresenceRecord {
  readonly roomId: string;
  readonly region: string;
  readonly connectionId: string;
  readonly userId: string;
  readonly endpoint?: string;
}

/** How long a send's client message id is remembered (a retry after that is a new message). */
export const CLIENT_MSG_ID_TTL_SECONDS = 24 * 60 * 60;
/** How long a relayed frame's dedupe marker lives. */
export const RELAY_MARKER_TTL_SECONDS = 15 * 60;

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });
const key = (pk: string, sk: string) => ({ [ATTR.pk]: S(pk), [ATTR.sk]: S(sk) });

/** Query parameters for the items of one room whose sort key starts with `prefix` (see prefixRange). */
function roomItems(roomId: string, prefix: string) {
  const range = prefixRange(prefix);
  return {
    KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
    ExpressionAttributeNames: { '#pk': ATTR.pk, '#sk': ATTR.sk },
    ExpressionAttributeValues: { ':pk': S(keys.roomPk(roomId)), ':lo': S(range.lo), ':hi': S(range.hi) },
  };
}

function messageItem(message: ChatMessage): Record<string, AttributeValue> {
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
    reactions: { M: {} },
  };
}

export function messageFromItem(item: Record<string, AttributeValue>): ChatMessage {
  const reactions: Record<string, string[]> = {};
  for (const [emoji, users] of Object.entries(item.reactions?.M ?? {})) {
    if (users.SS && users.SS.length > 0) reactions[emoji] = [...users.SS].sort();
  }
  return {
    messageId: item.messageId.S!,
    roomId: item.roomId.S!,
    userId: item.userId.S!,
    text: item.text.S!,
    sentAt: Number(item.sentAt.N),
    region: item.region.S!,
    clientMsgId: item.clientMsgId.S!,
    ...(item.parentId?.S ? { parentId: item.parentId.S } : {}),
    ...(Object.keys(reactions).length > 0 ? { reactions } : {}),
  };
}

function presenceFromItem(roomId: string, item: Record<string, AttributeValue>): PresenceRecord {
  return {
    roomId,
    region: item.region.S!,
    connectionId: item.connectionId.S!,
    userId: item.userId.S!,
    ...(item.endpoint?.S ? { endpoint: item.endpoint.S } : {}),
  };
}

export class ChatStore {
  constructor(
    readonly db: DynamoDBClient,
    readonly table: string,
    private readonly now: () => number = Date.now,
  ) {}

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  async putConnection(record: Omit<ConnectionRecord, 'rooms' | 'expiresAt'>): Promise<ConnectionRecord> {
    const expiresAt = Math.floor(record.connectedAt / 1000) + CONNECTION_TTL_SECONDS;
    await this.db.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          ...key(keys.connectionPk(record.region, record.connectionId), keys.connectionSk),
          type: S('connection'),
          region: S(record.region),
          connectionId: S(record.connectionId),
          userId: S(record.userId),
          connectedAt: N(record.connectedAt),
          [ATTR.ttl]: N(expiresAt),
          ...(record.endpoint ? { endpoint: S(record.endpoint) } : {}),
        },
      }),
    );
    return { ...record, expiresAt, rooms: [] };
  }

  async getConnection(region: string, connectionId: string): Promise<ConnectionRecord | undefined> {
    const { Item } = await this.db.send(
      new GetItemCommand({
        TableName: this.table,
        Key: key(keys.connectionPk(region, connectionId), keys.connectionSk),
        ConsistentRead: true,
      }),
    );
    if (!Item) return undefined;
    return {
      region,
      connectionId,
      userId: Item.userId.S!,
      connectedAt: Number(Item.connectedAt.N),
      expiresAt: Number(Item[ATTR.ttl]?.N ?? 0),
      ...(Item.endpoint?.S ? { endpoint: Item.endpoint.S } : {}),
      rooms: Item.rooms?.SS ?? [],
    };
  }

  /**
   * Removes a connection and its presence in every room it joined (and in `alsoRoom`, for a presence whose
   * connection item is already gone). Best effort and idempotent.
   */
  async deleteConnection(region: string, connectionId: string, alsoRoom?: string): Promise<string[]> {
    const connection = await this.getConnection(region, connectionId);
    const rooms = new Set(connection?.rooms ?? []);
    if (alsoRoom) rooms.add(alsoRoom);
    await Promise.all([
      ...[...rooms].map((roomId) => this.deletePresence(roomId, region, connectionId)),
      this.db.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: key(keys.connectionPk(region, connectionId), keys.connectionSk),
        }),
      ),
    ]);
    return [...rooms];
  }

  /** Registers a connection's presence in a room (and the user as a member). False when the connection is gone. */
  async addPresence(connection: ConnectionRecord, roomId: string): Promise<boolean> {
    const joinedAt = this.now();
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key(keys.connectionPk(connection.region, connection.connectionId), keys.connectionSk),
          UpdateExpression: 'ADD rooms :room',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': ATTR.pk },
          ExpressionAttributeValues: { ':room': { SS: [roomId] } },
        }),
      );
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
    await Promise.all([
      this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            ...key(keys.roomPk(roomId), keys.presenceSk(connection.region, connection.connectionId)),
            type: S('presence'),
            region: S(connection.region),
            connectionId: S(connection.connectionId),
            userId: S(connection.userId),
            joinedAt: N(joinedAt),
            [ATTR.ttl]: N(connection.expiresAt || this.nowSeconds() + CONNECTION_TTL_SECONDS),
            ...(connection.endpoint ? { endpoint: S(connection.endpoint) } : {}),
          },
        }),
      ),
      this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            ...key(keys.roomPk(roomId), keys.memberSk(connection.userId)),
            type: S('member'),
            userId: S(connection.userId),
            joinedAt: N(joinedAt),
          },
        }),
      ),
    ]);
    return true;
  }

  async getPresence(
    roomId: string,
    region: string,
    connectionId: string,
  ): Promise<PresenceRecord | undefined> {
    const { Item } = await this.db.send(
      new GetItemCommand({
        TableName: this.table,
        Key: key(keys.roomPk(roomId), keys.presenceSk(region, connectionId)),
      }),
    );
    return Item ? presenceFromItem(roomId, Item) : undefined;
  }

  async deletePresence(roomId: string, region: string, connectionId: string): Promise<void> {
    await this.db.send(
      new DeleteItemCommand({
        TableName: this.table,
        Key: key(keys.roomPk(roomId), keys.presenceSk(region, connectionId)),
      }),
    );
  }

  /** Leaves a room: the presence goes, and the room leaves the connection's list. */
  async removePresence(roomId: string, region: string, connectionId: string): Promise<void> {
    await Promise.all([
      this.deletePresence(roomId, region, connectionId),
      this.db
        .send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: key(keys.connectionPk(region, connectionId), keys.connectionSk),
            UpdateExpression: 'DELETE rooms :room',
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#pk': ATTR.pk },
            ExpressionAttributeValues: { ':room': { SS: [roomId] } },
          }),
        )
        .catch((error) => {
          if (errorName(error) !== 'ConditionalCheckFailedException') throw error;
        }),
    ]);
  }

  /** Every live presence in a room (one region's when `region` is given): one Query on the room partition. */
  async listPresence(roomId: string, region?: string): Promise<PresenceRecord[]> {
    const out: PresenceRecord[] = [];
    const nowS = this.nowSeconds();
    const query = roomItems(roomId, region ? PREFIX.presenceOf(region) : PREFIX.presence);
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          ...query,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        // TTL deletion lags (up to days on AWS): an expired presence is as good as gone.
        if (Number(item[ATTR.ttl]?.N ?? Number.POSITIVE_INFINITY) <= nowS) continue;
        out.push(presenceFromItem(roomId, item));
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /**
   * Writes a message once per (user, clientMsgId): one transaction of the idempotency record and the message.
   * A retry gets the first message's id back with `duplicate: true`.
   */
  async putMessage(message: ChatMessage): Promise<{ messageId: string; duplicate: boolean }> {
    const cmidKey = key(keys.roomPk(message.roomId), keys.clientMsgSk(message.userId, message.clientMsgId));
    try {
      await this.db.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
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
                TableName: this.table,
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
      const { Item } = await this.db.send(
        new GetItemCommand({ TableName: this.table, Key: cmidKey, ConsistentRead: true }),
      );
      if (!Item?.messageId?.S) throw error;
      return { messageId: Item.messageId.S, duplicate: true };
    }
  }

  async getMessage(roomId: string, messageId: string): Promise<ChatMessage | undefined> {
    const { Item } = await this.db.send(
      new GetItemCommand({ TableName: this.table, Key: key(keys.roomPk(roomId), keys.messageSk(messageId)) }),
    );
    return Item ? messageFromItem(Item) : undefined;
  }

  /** One page of messages, newest first from DynamoDB, returned oldest first; `before` is a message id. */
  async pageMessages(
    roomId: string,
    limit: number,
    before?: string,
  ): Promise<{ messages: ChatMessage[]; next: string | null }> {
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        ...roomItems(roomId, PREFIX.message),
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: before ? key(keys.roomPk(roomId), keys.messageSk(before)) : undefined,
      }),
    );
    const messages = (page.Items ?? []).map(messageFromItem);
    const oldest = messages.at(-1);
    const next = page.LastEvaluatedKey && oldest ? oldest.messageId : null;
    return { messages: messages.reverse(), next };
  }

  /** Adds or removes one user's emoji on a message (a set: once per user per emoji). False: no such message. */
  async react(
    roomId: string,
    messageId: string,
    emoji: string,
    userId: string,
    add: boolean,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key(keys.roomPk(roomId), keys.messageSk(messageId)),
          UpdateExpression: add ? 'ADD reactions.#emoji :user' : 'DELETE reactions.#emoji :user',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': ATTR.pk, '#emoji': emoji },
          ExpressionAttributeValues: { ':user': { SS: [userId] } },
        }),
      );
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

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
        },
      }),
    );
  }

  async getNotice(roomId: string): Promise<Notice | null> {
    const { Item } = await this.db.send(
      new GetItemCommand({ TableName: this.table, Key: key(keys.roomPk(roomId), keys.noticeSk) }),
    );
    if (!Item) return null;
    return { roomId, text: Item.text.S!, userId: Item.userId.S!, setAt: Number(Item.setAt.N) };
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
    const now = this.now();
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
