// The Glue table Athena reads must have a column for every field the stream flattener writes; the rows
// come from real items the chat store writes to DynamoDB Local.
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, inject, it } from 'vitest';
import { keys } from '../../core/datamodel.js';
import { flattenRecord } from '../../runtime/analytics/stream.js';
import { ChatStore } from '../../runtime/store/chat-store.js';
import { createChatTable } from '../../runtime/store/table.js';
import { ANALYTICS_COLUMNS } from '../../stacks/analytics.js';

describe('analytics columns', () => {
  it('analytics: every field of a flattened message, notice, member and presence row has a Glue column', async () => {
    const db = new DynamoDBClient({
      region: 'eu-north-1',
      endpoint: inject('dynamoEndpoint'),
      credentials: { accessKeyId: 'analytics', secretAccessKey: 'x' },
    });
    const table = `analytics-${Date.now()}`;
    await createChatTable(db, table);
    const store = new ChatStore(db, table);
    const connection = await store.presence.putConnection({
      connectionId: 'c1',
      region: 'seoul',
      userId: 'ana',
      connectedAt: Date.now(),
    } as Parameters<ChatStore['presence']['putConnection']>[0]);
    await store.presence.addPresence(connection, 'lobby');
    const sentAt = Date.now();
    await store.messages.putWithRecord({
      messageId: 'm1',
      roomId: 'lobby',
      userId: 'ana',
      text: 'hi',
      sentAt,
      region: 'seoul',
      clientMsgId: 'c-1',
      parentId: 'm0',
    });
    await store.reactions.react('lobby', 'm1', '👍', 'ana', true);
    await store.putNotice({ roomId: 'lobby', text: 'be kind', userId: 'ana', setAt: sentAt });

    const { Items = [] } = await db.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: keys.roomPk('lobby') } },
      }),
    );
    const columns = new Set<string>(ANALYTICS_COLUMNS.map((c) => c.name));
    const rows = Items.map((item) =>
      flattenRecord({
        eventName: 'INSERT',
        dynamodb: { Keys: { pk: item.pk, sk: item.sk }, NewImage: item },
      } as unknown as DynamoDBRecord),
    ).filter((row) => row !== undefined);
    expect(rows.map((row) => row.type).sort()).toEqual([
      'member',
      'message',
      'notice',
      'presence',
      'reaction',
    ]);
    const missing = rows.flatMap((row) =>
      Object.keys(row).filter((field) => !columns.has(field.toLowerCase())),
    );
    expect(missing).toEqual([]);
  });
});
