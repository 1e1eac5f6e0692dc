/**
 * Connections, and their presence in rooms (docs/protocol.md, Joins). A connection lives in one region and only
 * that region writes its items, except a presence copy: a join relayed from another region is recorded in
 * this one too, with the same key and content, so it is safe under last-writer-wins. Every join a region
 * records bumps that region's presence epoch in the room, which a send reads before it writes and again
 * after, so that no send acked after a `joined` misses the new member.
 */
import {
  type AttributeValue,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ATTR, CONNECTION_TTL_SECONDS, keys, PREFIX } from '../../core/datamodel.js';
import { errorName } from '../util.js';
import { type Item, key, N, num, optStr, readOrSkip, roomItems, S, type StoreContext, str } from './items.js';

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
  /** Epoch ms (absent on items written before joins were relayed). */
  readonly joinedAt?: number;
  /** Epoch s (TTL). */
  readonly expiresAt?: number;
  /** The newest ULID clientMsgId this connection's sends have pushed in the room (docs/protocol.md, Order). */
  readonly sentThrough?: string;
}

/** A room's presence as one region's replica holds it, with that region's presence epoch. */
export interface RoomPresence {
  readonly presence: PresenceRecord[];
  /** This region's epoch in the room: 0 before its first join. */
  readonly epoch: number;
}

function presenceFromItem(roomId: string, item: Item): PresenceRecord {
  const joinedAt = item.joinedAt?.N ? Number(item.joinedAt.N) : undefined;
  const expiresAt = item[ATTR.ttl]?.N ? Number(item[ATTR.ttl].N) : undefined;
  const endpoint = optStr(item, 'endpoint');
  const sentThrough = optStr(item, 'sentThrough');
  return {
    roomId,
    region: str(item, 'region'),
    connectionId: str(item, 'connectionId'),
    userId: str(item, 'userId'),
    ...(endpoint ? { endpoint } : {}),
    ...(joinedAt !== undefined ? { joinedAt } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...(sentThrough ? { sentThrough } : {}),
  };
}

function presenceItem(record: PresenceRecord, joinedAt: number, expiresAt: number): Item {
  return {
    ...key(keys.roomPk(record.roomId), keys.presenceSk(record.region, record.connectionId)),
    type: S('presence'),
    region: S(record.region),
    connectionId: S(record.connectionId),
    userId: S(record.userId),
    joinedAt: N(joinedAt),
    [ATTR.ttl]: N(expiresAt),
    ...(record.endpoint ? { endpoint: S(record.endpoint) } : {}),
  };
}

export class PresenceStore {
  constructor(private readonly ctx: StoreContext) {}

  private nowSeconds(): number {
    return Math.floor(this.ctx.now() / 1000);
  }

  async putConnection(record: Omit<ConnectionRecord, 'rooms' | 'expiresAt'>): Promise<ConnectionRecord> {
    const expiresAt = Math.floor(record.connectedAt / 1000) + CONNECTION_TTL_SECONDS;
    await this.ctx.db.send(
      new PutItemCommand({
        TableName: this.ctx.table,
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
    const { Item } = await this.ctx.db.send(
      new GetItemCommand({
        TableName: this.ctx.table,
        Key: key(keys.connectionPk(region, connectionId), keys.connectionSk),
        ConsistentRead: true,
      }),
    );
    if (!Item) return undefined;
    return readOrSkip(Item, (item) => ({
      region,
      connectionId,
      userId: str(item, 'userId'),
      connectedAt: num(item, 'connectedAt'),
      expiresAt: Number(item[ATTR.ttl]?.N ?? 0),
      ...(item.endpoint?.S ? { endpoint: item.endpoint.S } : {}),
      rooms: item.rooms?.SS ?? [],
    }));
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
      this.ctx.db.send(
        new DeleteItemCommand({
          TableName: this.ctx.table,
          Key: key(keys.connectionPk(region, connectionId), keys.connectionSk),
        }),
      ),
    ]);
    return [...rooms];
  }

  /**
   * Registers a connection's presence in a room (and the user as a member), bumping this region's epoch in
   * the same transaction. Returns the presence, or undefined when the connection is gone.
   */
  async addPresence(connection: ConnectionRecord, roomId: string): Promise<PresenceRecord | undefined> {
    const joinedAt = this.ctx.now();
    try {
      await this.ctx.db.send(
        new UpdateItemCommand({
          TableName: this.ctx.table,
          Key: key(keys.connectionPk(connection.region, connection.connectionId), keys.connectionSk),
          UpdateExpression: 'ADD rooms :room',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': ATTR.pk },
          ExpressionAttributeValues: { ':room': { SS: [roomId] } },
        }),
      );
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return undefined;
      throw error;
    }
    const record: PresenceRecord = {
      roomId,
      region: connection.region,
      connectionId: connection.connectionId,
      userId: connection.userId,
      ...(connection.endpoint ? { endpoint: connection.endpoint } : {}),
      joinedAt,
      expiresAt: connection.expiresAt || this.nowSeconds() + CONNECTION_TTL_SECONDS,
    };
    await Promise.all([
      this.recordPresence(record, connection.region),
      this.ctx.db.send(
        new PutItemCommand({
          TableName: this.ctx.table,
          Item: {
            ...key(keys.roomPk(roomId), keys.memberSk(connection.userId)),
            type: S('member'),
            userId: S(connection.userId),
            joinedAt: N(joinedAt),
            region: S(connection.region),
          },
        }),
      ),
    ]);
    return record;
  }

  /**
   * Writes a presence (this region's own, or a copy of one relayed from another region) and bumps `region`'s
   * epoch in the room (both its copies), in one transaction: a send that read the epoch before this write
   * sees it changed when it reads it again after its own write.
   */
  async recordPresence(record: PresenceRecord, region: string): Promise<void> {
    await this.ctx.db.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.ctx.table,
              Item: presenceItem(
                record,
                record.joinedAt ?? this.ctx.now(),
                record.expiresAt ?? this.nowSeconds() + CONNECTION_TTL_SECONDS,
              ),
            },
          },
          ...[keys.presenceEpochSk(region), keys.messageEpochSk(region)].map((sk) => ({
            Update: {
              TableName: this.ctx.table,
              Key: key(keys.roomPk(record.roomId), sk),
              UpdateExpression: 'SET #type = :type, #region = :region ADD epoch :one',
              ExpressionAttributeNames: { '#type': 'type', '#region': 'region' },
              ExpressionAttributeValues: { ':type': S('presenceEpoch'), ':region': S(region), ':one': N(1) },
            },
          })),
        ],
      }),
    );
  }

  /**
   * Queues a send (`entry`: `<clientMsgId>|<after>|<messageId>`) behind the sender's previous send `after` while that one is not pushed yet:
   * its handler pushes this one next (drainAfter). False when `after` is already done: push it now. One
   * conditional update on the sender's presence item decides it, so a send is never left unpushed by a race.
   */
  async queueAfter(presence: PresenceRecord, after: string, entry: string): Promise<boolean> {
    try {
      await this.ctx.db.send(
        new UpdateItemCommand({
          TableName: this.ctx.table,
          Key: key(keys.roomPk(presence.roomId), keys.presenceSk(presence.region, presence.connectionId)),
          UpdateExpression: 'ADD pendingSends :entry',
          ConditionExpression:
            'attribute_exists(#pk) AND (attribute_not_exists(sentThrough) OR sentThrough < :after)',
          ExpressionAttributeNames: { '#pk': ATTR.pk },
          ExpressionAttributeValues: { ':entry': { SS: [entry] }, ':after': S(after) },
        }),
      );
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /**
   * Records send `clientMsgId` as done (pushed, or refused), drops the `taken` entries (pushed by the
   * caller) and returns the sends still queued: the caller pushes those behind `clientMsgId`, then calls
   * again. ULIDs of one sender increase, so `sentThrough` only moves forward.
   */
  async doneAndPending(
    presence: PresenceRecord,
    clientMsgId: string,
    taken: readonly string[],
  ): Promise<string[]> {
    const Key = key(keys.roomPk(presence.roomId), keys.presenceSk(presence.region, presence.connectionId));
    const drop = taken.length > 0 ? { ':taken': { SS: [...taken] } } : undefined;
    const recorded = await this.updatePresence(
      Key,
      `SET sentThrough = :id${drop ? ' DELETE pendingSends :taken' : ''}`,
      ' AND (attribute_not_exists(sentThrough) OR sentThrough < :id)',
      { ':id': S(clientMsgId), ...drop },
    );
    if (recorded) return recorded;
    // A later send is recorded already (one sent after this burst's acks pushes at once): the taken entries
    // go all the same, or the next round would find them again.
    if (drop) return (await this.updatePresence(Key, 'DELETE pendingSends :taken', '', drop)) ?? [];
    const { Item } = await this.ctx.db.send(
      new GetItemCommand({ TableName: this.ctx.table, Key, ConsistentRead: true }),
    );
    return Item?.pendingSends?.SS ?? [];
  }

  /**
   * An update of a presence item that still exists (an update would write a gone one's key back) and under
   * `condition`; the sends still queued after it, or undefined when a condition failed.
   */
  private async updatePresence(
    Key: Record<string, AttributeValue>,
    UpdateExpression: string,
    condition: string,
    values: Record<string, AttributeValue>,
  ): Promise<string[] | undefined> {
    try {
      const { Attributes } = await this.ctx.db.send(
        new UpdateItemCommand({
          TableName: this.ctx.table,
          Key,
          UpdateExpression,
          ConditionExpression: `attribute_exists(#pk)${condition}`,
          ExpressionAttributeNames: { '#pk': ATTR.pk },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes?.pendingSends?.SS ?? [];
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return undefined;
      throw error;
    }
  }

  async getPresence(
    roomId: string,
    region: string,
    connectionId: string,
  ): Promise<PresenceRecord | undefined> {
    const { Item } = await this.ctx.db.send(
      new GetItemCommand({
        TableName: this.ctx.table,
        Key: key(keys.roomPk(roomId), keys.presenceSk(region, connectionId)),
      }),
    );
    return Item ? readOrSkip(Item, (item) => presenceFromItem(roomId, item)) : undefined;
  }

  async deletePresence(roomId: string, region: string, connectionId: string): Promise<void> {
    await this.ctx.db.send(
      new DeleteItemCommand({
        TableName: this.ctx.table,
        Key: key(keys.roomPk(roomId), keys.presenceSk(region, connectionId)),
      }),
    );
  }

  /** Leaves a room: the presence goes, and the room leaves the connection's list. */
  async removePresence(roomId: string, region: string, connectionId: string): Promise<void> {
    await Promise.all([
      this.deletePresence(roomId, region, connectionId),
      this.ctx.db
        .send(
          new UpdateItemCommand({
            TableName: this.ctx.table,
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

  /**
   * Every live presence in a room (one region's when `only` is given), and `epochOf`'s epoch there: one
   * Query on the room partition (the epochs sort inside the presence range). `consistent` after a write
   * whose ordering against joins matters (a send that saw the epoch move, docs/protocol.md, Joins).
   */
  async listPresence(
    roomId: string,
    only?: string,
    epochOf?: string,
    consistent = false,
  ): Promise<RoomPresence> {
    const presence: PresenceRecord[] = [];
    let epoch = 0;
    const nowS = this.nowSeconds();
    const query = roomItems(roomId, only ? PREFIX.presenceOf(only) : PREFIX.presence);
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.ctx.db.send(
        new QueryCommand({
          TableName: this.ctx.table,
          ...query,
          ExclusiveStartKey: start,
          ...(consistent ? { ConsistentRead: true } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        if (item.type?.S === 'presenceEpoch') {
          if (item[ATTR.sk]?.S === keys.presenceEpochSk(epochOf ?? '')) epoch = Number(item.epoch?.N ?? 0);
          continue;
        }
        // TTL deletion lags (up to days on AWS): an expired presence is as good as gone.
        if (Number(item[ATTR.ttl]?.N ?? Number.POSITIVE_INFINITY) <= nowS) continue;
        const record = readOrSkip(item, (i) => presenceFromItem(roomId, i));
        if (record) presence.push(record);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return { presence, epoch };
  }
}
