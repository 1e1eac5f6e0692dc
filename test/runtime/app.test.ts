import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../core/protocol.js';
import {
  type ConnectionsServer,
  cmid,
  connectAndJoin,
  connectEvent,
  disconnectEvent,
  dynamoClient,
  expectOnlyJoinNoticeWarnings,
  freshTable,
  messageEvent,
  type Region,
  region,
  startConnectionsServer,
  token,
} from './support.js';

let connections: ConnectionsServer;
let seoul: Region;
const { client } = dynamoClient();

// First, so that its spy also reads the warnings of the file's own setup.
expectOnlyJoinNoticeWarnings();
beforeAll(async () => {
  connections = await startConnectionsServer();
  const table = await freshTable(client, 'app');
  seoul = region('seoul', { client, table, connections });
});

afterAll(async () => {
  await connections.close();
});

const last = (id: string): ServerFrame | undefined => connections.framesFor(id).at(-1);

describe('runtime app', () => {
  it('connect: a valid dev token records the connection with the user from the token', async () => {
    const result = await seoul.app.connect(connectEvent('c-alice', token('alice')));
    expect(result.statusCode).toBe(200);
    const connection = await seoul.store.presence.getConnection('seoul', 'c-alice');
    expect(connection?.userId).toBe('alice');
    expect(connection?.endpoint).toBe(connections.endpoint);
    expect(connection!.expiresAt).toBeGreaterThan(Date.now() / 1000 + 7000);
  });

  it('ping: the caller gets a pong naming the region, posted through @connections', async () => {
    const result = await seoul.app.message(messageEvent('c-alice', { action: 'ping' }, 'ping'));
    expect(result.statusCode).toBe(200);
    const pong = last('c-alice');
    expect(pong).toMatchObject({ type: 'pong', region: 'seoul' });
    expect(connections.posts.at(-1)?.stage).toBe('prod');
  });

  it('send: the sender gets an ack and every member of the room gets the message', async () => {
    await connectAndJoin(seoul, 'c-a1', 'amy', ['lobby']);
    await connectAndJoin(seoul, 'c-b1', 'bob', ['lobby']);
    const clientMsgId = cmid();
    await seoul.app.message(
      messageEvent('c-a1', { action: 'send', roomId: 'lobby', text: 'hi', clientMsgId }),
    );
    const ack = connections.framesFor('c-a1').find((f) => f.type === 'ack');
    expect(ack).toMatchObject({ type: 'ack', clientMsgId, duplicate: false });
    const got = last('c-b1');
    expect(got).toMatchObject({ type: 'message', message: { text: 'hi', userId: 'amy', roomId: 'lobby' } });
    // The sender gets the message too (an opaque clientMsgId's ack goes alongside the push).
    const own = connections
      .framesFor('c-a1')
      .slice(-2)
      .map((f) => f.type);
    expect(own.sort()).toEqual(['ack', 'message']);
  });

  it('disconnect: removes the connection and its presence items', async () => {
    await connectAndJoin(seoul, 'c-d1', 'dan', ['r1', 'r2']);
    expect(await seoul.store.presence.getPresence('r1', 'seoul', 'c-d1')).toBeDefined();
    expect((await seoul.app.disconnect(disconnectEvent('c-d1'))).statusCode).toBe(200);
    expect(await seoul.store.presence.getConnection('seoul', 'c-d1')).toBeUndefined();
    expect(await seoul.store.presence.getPresence('r1', 'seoul', 'c-d1')).toBeUndefined();
    expect(await seoul.store.presence.getPresence('r2', 'seoul', 'c-d1')).toBeUndefined();
    // idempotent
    expect((await seoul.app.disconnect(disconnectEvent('c-d1'))).statusCode).toBe(200);
  });
});
