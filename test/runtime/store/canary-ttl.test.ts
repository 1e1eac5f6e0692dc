// The canary writes a message a minute into its room: those messages expire (DynamoDB TTL), users' never do,
// even in the canary's room.
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { ATTR, keys } from '../../../core/datamodel.js';
import {
  CANARY_MESSAGE_TTL_SECONDS,
  canaryRoom,
  canaryUser,
  isCanaryMessage,
} from '../../../core/observability.js';
import { ChatStore } from '../../../runtime/store/chat-store.js';
import { dynamoClient, freshTable } from '../support.js';

const { client } = dynamoClient();
afterAll(() => client.destroy());

describe('canary message TTL', () => {
  it('chat store: a canary message carries a TTL an hour after it was sent; a user message in the same room has none', async () => {
    const table = await freshTable(client, 'canaryttl');
    const store = new ChatStore(client, table);
    const room = canaryRoom('seoul');
    const sentAt = Date.now();
    const base = { roomId: room, text: 'probe', sentAt, region: 'seoul' };
    await store.messages.putWithRecord({
      ...base,
      messageId: 'm-canary',
      userId: canaryUser('seoul'),
      clientMsgId: 'c1',
    });
    await store.messages.putWithRecord({ ...base, messageId: 'm-user', userId: 'alice', clientMsgId: 'c2' });
    const item = async (messageId: string) =>
      (
        await client.send(
          new GetItemCommand({
            TableName: table,
            Key: { [ATTR.pk]: { S: keys.roomPk(room) }, [ATTR.sk]: { S: keys.messageSk(messageId) } },
          }),
        )
      ).Item;
    expect((await item('m-canary'))?.[ATTR.ttl]?.N).toBe(
      String(Math.floor(sentAt / 1000) + CANARY_MESSAGE_TTL_SECONDS),
    );
    expect(await item('m-user')).toBeDefined();
    expect((await item('m-user'))?.[ATTR.ttl]).toBeUndefined();
  });

  it('observability: only the canary user in its own room is the canary', () => {
    expect(isCanaryMessage('canary-tokyo', 'canary-tokyo')).toBe(true);
    expect(isCanaryMessage('canary-tokyo', 'canary-seoul')).toBe(false);
    expect(isCanaryMessage('lobby', 'canary-tokyo')).toBe(false);
  });
});
