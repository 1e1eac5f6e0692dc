import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadLevel, ServerFrame } from '../../core/protocol.js';
import {
  getLoadLevel,
  getLoadLevelRecord,
  LoadLevelCache,
  retryAfterMs,
  setLoadLevel,
} from '../../runtime/store/load-level.js';
import {
  type ConnectionsServer,
  cmid,
  connectAndJoin,
  connectEvent,
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
let table: string;
let seoul: Region;
let messageId: string;
const { client } = dynamoClient();

// First, so that its spy also reads the warnings of the file's own setup.
const warnings = expectOnlyJoinNoticeWarnings();
beforeAll(async () => {
  connections = await startConnectionsServer();
  table = await freshTable(client, 'load');
  seoul = region('seoul', { client, table, connections });
  await connectAndJoin(seoul, 'lv-amy', 'amy', ['surge']);
  await connectAndJoin(seoul, 'lv-bob', 'bob', ['surge']);
  for (let i = 0; i < 24; i++) {
    await seoul.app.message(
      messageEvent('lv-amy', { action: 'send', roomId: 'surge', text: `m${i}`, clientMsgId: cmid() }),
    );
  }
  const ack = connections.framesFor('lv-amy').find((f) => f.type === 'ack') as Extract<
    ServerFrame,
    { type: 'ack' }
  >;
  messageId = ack.messageId;
});
afterAll(async () => {
  await setLoadLevel(client, table, 'seoul', 0);
  await connections.close();
});

const last = (id: string) => connections.framesFor(id).at(-1);
const act = (frame: Record<string, unknown>) => seoul.app.message(messageEvent('lv-amy', frame));

/** What a level serves: true = served, or the error code the caller gets. */
async function probe(level: LoadLevel) {
  await setLoadLevel(client, table, 'seoul', level, { reason: 'test' });
  const out: Record<string, unknown> = {};
  const clientMsgId = cmid();
  await act({ action: 'send', roomId: 'surge', text: `at level ${level}`, clientMsgId });
  const acked = connections
    .framesFor('lv-amy')
    .some((f) => f.type === 'ack' && f.clientMsgId === clientMsgId);
  out.send = acked && last('lv-bob')?.type === 'message';
  await act({ action: 'history', roomId: 'surge', limit: 25 });
  const history = last('lv-amy');
  out.history = history?.type === 'history' ? history.messages.length : history;
  await act({ action: 'join', roomId: 'surge' });
  const joined = last('lv-amy');
  out.join = joined?.type === 'joined' ? joined.history.length : joined;
  await act({ action: 'react', roomId: 'surge', messageId, emoji: '🔥' });
  out.react = last('lv-amy')?.type === 'reaction' ? true : last('lv-amy');
  await act({ action: 'notice', roomId: 'surge', text: `level ${level}` });
  out.notice = last('lv-amy')?.type === 'notice' ? true : last('lv-amy');
  const connected = await seoul.app.connect(connectEvent(`lv-new-${level}`, token('newcomer')));
  out.connect = connected.statusCode === 200 ? true : JSON.parse(connected.body ?? '{}');
  out.connectStatus = connected.statusCode;
  await act({ action: 'ping' });
  out.ping = last('lv-amy')?.type === 'pong';
  return out;
}

const overloaded = { type: 'error', code: 'OVERLOADED', retryAfterMs: expect.any(Number) };

describe('runtime load levels', () => {
  it('load level: setLoadLevel and getLoadLevel round-trip through CONFIG/LOAD#<region>; a bad level is refused', async () => {
    expect(await getLoadLevel(client, table, 'nowhere')).toBe(0);
    await setLoadLevel(client, table, 'tokyo', 2, { reason: 'world cup final', now: 1000 });
    expect(await getLoadLevelRecord(client, table, 'tokyo')).toEqual({
      region: 'tokyo',
      level: 2,
      updatedAt: 1000,
      reason: 'world cup final',
      setBy: 'operator',
      auto: { enabled: false, maxLevel: 3 },
    });
    await expect(setLoadLevel(client, table, 'tokyo', 7 as LoadLevel)).rejects.toThrow(/does not exist/);
  });

  it('load level 0: everything is served at full depth', async () => {
    expect(await probe(0)).toMatchObject({
      send: true,
      history: 25,
      join: 25,
      react: true,
      notice: true,
      connect: true,
      ping: true,
    });
  });

  it('load level 1: history pages and join history are capped at 20; the rest is served', async () => {
    expect(await probe(1)).toMatchObject({
      send: true,
      history: 20,
      join: 20,
      react: true,
      notice: true,
      connect: true,
    });
  });

  it('load level 2: reactions and notices are shed with OVERLOADED; send, history (20) and connect served', async () => {
    const out = await probe(2);
    expect(out).toMatchObject({ send: true, history: 20, join: 20, connect: true, ping: true });
    expect(out.react).toMatchObject({ ...overloaded, action: 'react' });
    expect(out.notice).toMatchObject({ ...overloaded, action: 'notice' });
  });

  it('load level 3: new connections and history paging are shed too; send, join and ping still served', async () => {
    const out = await probe(3);
    expect(out).toMatchObject({ send: true, join: 20, ping: true, connectStatus: 429 });
    expect(out.history).toMatchObject({ ...overloaded, action: 'history' });
    expect(out.react).toMatchObject(overloaded);
    expect(out.connect).toMatchObject({ type: 'error', code: 'OVERLOADED' });
    expect(await seoul.store.presence.getConnection('seoul', 'lv-new-3')).toBeUndefined();
  });

  it('load level: retry-after is jittered around a base that grows with the level', () => {
    expect(retryAfterMs(1, () => 0)).toBe(500);
    expect(retryAfterMs(1, () => 0.999)).toBe(1499);
    expect(retryAfterMs(3, () => 0.5)).toBe(5000);
    const samples = new Set(Array.from({ length: 20 }, () => retryAfterMs(2)));
    expect(samples.size).toBeGreaterThan(1);
  });

  it('load level cache: reads at most once per ttl and keeps the last level when a read fails', async () => {
    let clock = 0;
    let reads = 0;
    let fail = false;
    const cache = new LoadLevelCache(
      async () => {
        reads++;
        if (fail) throw new Error('unreachable');
        return 2;
      },
      1000,
      () => clock,
    );
    expect(await cache.get()).toBe(2);
    expect(await cache.get()).toBe(2);
    expect(reads).toBe(1);
    clock = 1500;
    fail = true;
    expect(await cache.get()).toBe(2);
    expect(warnings.take()).toEqual([expect.stringMatching(/^load level read failed, keeping level 2/)]);
    expect(reads).toBe(2);
  });
});
