import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { startTestSandbox } from './support.js';
import { connect, type TestClient } from './ws-client.js';

async function join(client: TestClient, roomId: string) {
  client.send({ action: 'join', roomId });
  return client.next((f) => f.type === 'joined' && f.roomId === roomId);
}

// The handlers' AWS clients reach the edge and gateways in-process by default; over HTTP they must work alike.
describe.each(['in-process', 'http'] as const)('sandbox chat (%s transport)', (transport) => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    // Cross-region behaviour runs with the realistic replication delay (the default): a relayed message
    // arrives well before its item replicates, as on AWS.
    sandbox = await startTestSandbox({ lag: undefined, transport });
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  const url = (region: string) => sandbox.regions.get(region)!.websocketUrl;

  it('sandbox chat: users in seoul and tokyo talk through the relay; a fresh join anywhere shows every message once', async () => {
    const room = `room-${Date.now()}`;
    const minsu = await connect(url('seoul'), 'minsu');
    const yuki = await connect(url('tokyo'), 'yuki');
    await join(minsu, room);
    await join(yuki, room);
    // Each region learns of the other's member through replication of the presence items.
    await sandbox.replication.settle();

    minsu.send({ action: 'send', roomId: room, text: 'annyeong', clientMsgId: 'm1' });
    await minsu.next((f) => f.type === 'ack' && f.clientMsgId === 'm1');
    const atYuki = await yuki.next((f) => f.type === 'message');
    expect(atYuki.message).toMatchObject({ text: 'annyeong', userId: 'minsu', region: 'seoul' });

    yuki.send({ action: 'send', roomId: room, text: 'konnichiwa', clientMsgId: 'y1' });
    const atMinsu = await minsu.next(
      (f) => f.type === 'message' && (f.message as { text: string }).text === 'konnichiwa',
    );
    expect(atMinsu.message).toMatchObject({ userId: 'yuki', region: 'tokyo' });

    await sandbox.replication.settle();
    for (const region of ['seoul', 'tokyo', 'na']) {
      const fresh = await connect(url(region), `reader-${region}`);
      const joined = await join(fresh, room);
      const texts = (joined.history as { text: string }[]).map((m) => m.text);
      expect(texts.sort(), region).toEqual(['annyeong', 'konnichiwa']);
      await fresh.close();
    }
    await minsu.close();
    await yuki.close();
  });
});
