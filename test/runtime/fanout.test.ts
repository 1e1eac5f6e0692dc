import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientIdClock } from '../../core/message-id.js';
import type { ServerFrame } from '../../core/protocol.js';
import type { RelayPayload } from '../../runtime/app.js';
import {
  type ConnectionsServer,
  cmid,
  connectAndJoin,
  dynamoClient,
  expectOnlyJoinNoticeWarnings,
  freshTable,
  type InvokeServer,
  messageEvent,
  type Region,
  region,
  startConnectionsServer,
  startInvokeServer,
} from './support.js';

let connections: ConnectionsServer;
let invoke: InvokeServer;
let seoul: Region;
let tokyo: Region;
let na: Region;
const { client, calls, commands } = dynamoClient();
const nextClientMsgId = clientIdClock();

// First, so that its spy also reads the warnings of the file's own setup.
const warnings = expectOnlyJoinNoticeWarnings();
beforeAll(async () => {
  connections = await startConnectionsServer();
  invoke = await startInvokeServer();
  const table = await freshTable(client, 'fanout');
  // One table stands for the Global Table: every region sees every item at once (no replication lag here).
  seoul = region('seoul', { client, table, connections, invoke });
  tokyo = region('tokyo', { client, table, connections, invoke });
  na = region('na', { client, table, connections, invoke });
});
afterAll(async () => {
  await connections.close();
  await invoke.close();
});

const messages = (id: string) =>
  connections.framesFor(id).filter((f) => f.type === 'message') as Extract<
    ServerFrame,
    { type: 'message' }
  >[];

/** One connection's sends to a room in seoul, with the order fields it names. */
const sender =
  (connectionId: string, roomId: string) =>
  (text: string, clientMsgId: string, order: { after?: string; more?: boolean } = {}) =>
    seoul.app.message(messageEvent(connectionId, { action: 'send', roomId, text, clientMsgId, ...order }));

describe('runtime fan-out and relay', () => {
  it('send: a 410 GoneException deletes exactly the stale connections; the others still get the message', async () => {
    const ids = ['f-1', 'f-2', 'f-3', 'f-4', 'f-5'];
    for (const [i, id] of ids.entries()) await connectAndJoin(seoul, id, `user${i}`, ['stale', 'elsewhere']);
    connections.gone.add('f-2');
    connections.gone.add('f-4');
    const before = invoke.invokes.length;
    await seoul.app.message(
      messageEvent('f-1', { action: 'send', roomId: 'stale', text: 'still here?', clientMsgId: cmid() }),
    );
    for (const id of ['f-1', 'f-3', 'f-5'])
      expect(messages(id).map((m) => m.message.text)).toEqual(['still here?']);
    const left = (await seoul.store.presence.listPresence('stale')).presence
      .map((p) => p.connectionId)
      .sort();
    expect(left).toEqual(['f-1', 'f-3', 'f-5']);
    // The stale connections are gone everywhere: their connection item and presence in every room.
    expect(await seoul.store.presence.getConnection('seoul', 'f-2')).toBeUndefined();
    expect(await seoul.store.presence.getConnection('seoul', 'f-3')).toBeDefined();
    expect(
      (await seoul.store.presence.listPresence('elsewhere')).presence.map((p) => p.connectionId).sort(),
    ).toEqual(left);
    // All members are local: no relay.
    expect(invoke.invokes.length).toBe(before);
  });

  it('send: other post errors are retried with backoff and never drop the rest of the fan-out', async () => {
    for (const id of ['e-1', 'e-2', 'e-3', 'e-4']) await connectAndJoin(seoul, id, id, ['flaky']);
    connections.failures.set('e-2', 2); // fails twice, then succeeds on the third attempt
    connections.failures.set('e-3', Number.POSITIVE_INFINITY); // always fails
    // The failure is logged (as Lambda logs it); the test reads the log line instead of printing it.
    await seoul.app.message(
      messageEvent('e-1', { action: 'send', roomId: 'flaky', text: 'retry me', clientMsgId: cmid() }),
    );
    expect(warnings.take()).toEqual([
      expect.stringMatching(/^post to e-3 failed \(InternalServerErrorException\)/),
    ]);
    expect(messages('e-2')).toHaveLength(1);
    expect(connections.attempts('e-2')).toBeGreaterThanOrEqual(3);
    expect(messages('e-3')).toHaveLength(0);
    expect(connections.attempts('e-3')).toBe(1 + 3); // its joined post, then 3 attempts of the message
    expect(messages('e-4')).toHaveLength(1);
    // A failing (not gone) connection is kept.
    expect(await seoul.store.presence.getPresence('flaky', 'seoul', 'e-3')).toBeDefined();
    connections.failures.delete('e-3');
  });

  it('send: presence in tokyo and na -> exactly one Event Invoke of each region relay, and no Scan', async () => {
    await connectAndJoin(seoul, 's-1', 'sue', ['global']);
    await connectAndJoin(seoul, 's-2', 'sam', ['global']);
    await connectAndJoin(tokyo, 't-1', 'taro', ['global']);
    await connectAndJoin(tokyo, 't-2', 'hana', ['global']);
    await connectAndJoin(na, 'n-1', 'nick', ['global']);
    const before = invoke.invokes.length;
    const callsBefore = calls.length;
    await seoul.app.message(
      messageEvent('s-1', { action: 'send', roomId: 'global', text: 'hello world', clientMsgId: cmid() }),
    );
    const sent = invoke.invokes.slice(before);
    expect(sent.map((i) => i.functionName).sort()).toEqual(['chatctl-na-relay', 'chatctl-tokyo-relay']);
    expect(sent.every((i) => i.invocationType === 'Event')).toBe(true);
    expect(sent.find((i) => i.functionName === 'chatctl-tokyo-relay')?.region).toBe('ap-northeast-1');
    expect(sent.find((i) => i.functionName === 'chatctl-na-relay')?.region).toBe('us-east-1');
    // Only seoul's members got a post from seoul; the remote ones wait for their relay.
    expect(messages('s-2')).toHaveLength(1);
    expect(messages('t-1')).toHaveLength(0);
    // send = 1 Query (presence and epoch) + 1 TransactWriteItems (a clientMsgId that is not a ULID) + 1
    // Query after the write (the epoch again, and prevId), and never a Scan.
    const used = calls.slice(callsBefore);
    expect(used).toEqual(['QueryCommand', 'TransactWriteItemsCommand', 'QueryCommand']);
    expect(calls).not.toContain('ScanCommand');

    // The tokyo relay, invoked with that payload, posts to tokyo's members only.
    const payload = sent.find((i) => i.functionName === 'chatctl-tokyo-relay')!.payload as RelayPayload;
    expect(payload).toMatchObject({ roomId: 'global', originRegion: 'seoul', frame: { type: 'message' } });
    expect(payload.message?.text).toBe('hello world');
    const result = await tokyo.app.relay(payload);
    expect(result).toMatchObject({ ok: true, region: 'tokyo', delivered: 2, duplicate: false });
    expect(messages('t-1').map((m) => m.message.text)).toEqual(['hello world']);
    expect(messages('t-2')).toHaveLength(1);
    expect(messages('n-1')).toHaveLength(0);

    // Idempotent: a second invocation posts nothing again and writes no second message.
    const again = await tokyo.app.relay(payload);
    expect(again).toMatchObject({ ok: true, duplicate: true, delivered: 0 });
    expect(messages('t-1')).toHaveLength(1);
    expect((await tokyo.store.messages.page('global', 10)).messages).toHaveLength(1);
    expect(calls).not.toContain('ScanCommand');
  });

  it('send: a room whose members are all local invokes no relay', async () => {
    await connectAndJoin(tokyo, 't-local1', 'aki', ['tokyo-only']);
    await connectAndJoin(tokyo, 't-local2', 'ken', ['tokyo-only']);
    const before = invoke.invokes.length;
    await tokyo.app.message(
      messageEvent('t-local1', { action: 'send', roomId: 'tokyo-only', text: 'local', clientMsgId: cmid() }),
    );
    expect(messages('t-local2')).toHaveLength(1);
    expect(invoke.invokes.length).toBe(before);
  });

  it('send: a ULID send is 3 requests, its relays waited for and its ack after its push; with more it also records itself pushed', async () => {
    await connectAndJoin(seoul, 'o-1', 'ola', ['ordered']);
    await connectAndJoin(tokyo, 'o-t', 'oto', ['ordered']);
    const send = async (more: boolean) => {
      const clientMsgId = nextClientMsgId();
      const callsBefore = calls.length;
      const invokesBefore = invoke.invokes.length;
      await seoul.app.message(
        messageEvent('o-1', {
          action: 'send',
          roomId: 'ordered',
          text: more ? 'more follows' : 'alone',
          clientMsgId,
          ...(more ? { more: true } : {}),
        }),
      );
      const used = calls.slice(callsBefore);
      const relays = invoke.invokes.slice(invokesBefore).map((i) => i.invocationType);
      const sentThrough = (await seoul.store.presence.getPresence('ordered', 'seoul', 'o-1'))?.sentThrough;
      return { clientMsgId, used, relays, sentThrough };
    };
    // Presence and epoch, the message, the epoch and prevId after it: no order bookkeeping.
    const alone = await send(false);
    expect(alone).toMatchObject({
      used: ['QueryCommand', 'PutItemCommand', 'QueryCommand'],
      relays: ['RequestResponse'],
      sentThrough: undefined,
    });
    // The sender's own push, then its ack: an ack says the message is pushed.
    expect(
      connections
        .framesFor('o-1')
        .slice(-2)
        .map((f) => f.type),
    ).toEqual(['message', 'ack']);
    const more = await send(true);
    expect(more).toMatchObject({
      used: ['QueryCommand', 'PutItemCommand', 'QueryCommand', 'UpdateItemCommand'],
      relays: ['RequestResponse'],
      sentThrough: more.clientMsgId,
    });
    expect(messages('o-1').map((m) => m.message.text)).toEqual(['alone', 'more follows']);
  });

  it('send: a send queued behind one with more is pushed by it, after it, naming the message below it', async () => {
    await connectAndJoin(seoul, 'q-1', 'quin', ['queued']);
    await connectAndJoin(seoul, 'q-2', 'quo', ['queued']);
    const first = nextClientMsgId();
    const second = nextClientMsgId();
    // Concurrent invocations: the second send's runs first, so it is written, acked and queued behind the
    // first, which is not pushed yet.
    const send = sender('q-1', 'queued');
    await send('second', second, { after: first });
    expect(messages('q-2')).toEqual([]);
    await send('first', first, { more: true });
    const pushed = messages('q-2').map((m) => m.message);
    expect(pushed.map((m) => m.text)).toEqual(['first', 'second']);
    expect(pushed[1].prevId).toBe(pushed[0].messageId);
    // The queued send was acked by the handler that pushed it, after its push.
    const own = connections
      .framesFor('q-1')
      .map((f) =>
        f.type === 'ack' ? `ack ${f.clientMsgId}` : f.type === 'message' ? f.message.text : f.type,
      );
    expect(own.slice(-4)).toEqual(['first', `ack ${first}`, 'second', `ack ${second}`]);
    expect((await seoul.store.presence.getPresence('queued', 'seoul', 'q-1'))?.sentThrough).toBe(second);
  });

  it('send: two sends queued behind one (a chain that forked: both name it in after) are both pushed after it, in order', async () => {
    await connectAndJoin(seoul, 'k-1', 'kai', ['forked']);
    await connectAndJoin(seoul, 'k-2', 'kim', ['forked']);
    const [first, second, third] = [nextClientMsgId(), nextClientMsgId(), nextClientMsgId()];
    const send = sender('k-1', 'forked');
    // A client that named the newest unacked send: the second was acked before the first, so the third
    // names the first too.
    await send('second', second, { after: first, more: true });
    await send('third', third, { after: first });
    expect(messages('k-2')).toEqual([]);
    await send('first', first, { more: true });
    expect(messages('k-2').map((m) => m.message.text)).toEqual(['first', 'second', 'third']);
    expect((await seoul.store.presence.getPresence('forked', 'seoul', 'k-1'))?.sentThrough).toBe(third);
  });

  it('send: a drain that finds a later send recorded already (the next burst) pushes what it took once, and ends', async () => {
    await connectAndJoin(seoul, 'l-1', 'lou', ['later']);
    await connectAndJoin(seoul, 'l-2', 'lea', ['later']);
    const [first, second, next] = [nextClientMsgId(), nextClientMsgId(), nextClientMsgId()];
    const send = sender('l-1', 'later');
    await send('second', second, { after: first });
    // The next burst's first send (sent after this burst's acks, which come before their pushes) is recorded.
    const own = await seoul.store.presence.getPresence('later', 'seoul', 'l-1');
    await seoul.store.presence.doneAndPending(own!, next, []);
    await send('first', first, { more: true });
    expect(messages('l-2').map((m) => m.message.text)).toEqual(['first', 'second']);
    const after = await seoul.store.presence.getPresence('later', 'seoul', 'l-1');
    expect(after?.sentThrough).toBe(next);
    expect(await seoul.store.presence.doneAndPending(after!, next, [])).toEqual([]);
  });

  it('send: a later send recorded meanwhile does not push what waits behind an earlier send not pushed yet', async () => {
    await connectAndJoin(seoul, 'w-1', 'wes', ['waiting']);
    await connectAndJoin(seoul, 'w-2', 'wim', ['waiting']);
    const [first, second, later] = [nextClientMsgId(), nextClientMsgId(), nextClientMsgId()];
    const send = sender('w-1', 'waiting');
    await send('second', second, { after: first });
    // The next burst's first send (after this burst's acks, which come before its pushes) pushes at once and
    // records itself; the second still waits for the first.
    await send('later', later, { more: true });
    expect(messages('w-2').map((m) => m.message.text)).toEqual(['later']);
    await send('first', first, { more: true });
    expect(messages('w-2').map((m) => m.message.text)).toEqual(['later', 'first', 'second']);
  });

  it('react: reactions and notices reach remote members through the relay too', async () => {
    const before = invoke.invokes.length;
    const [id] = messages('s-1').map((m) => m.message.messageId);
    await seoul.app.message(
      messageEvent('s-2', { action: 'react', roomId: 'global', messageId: id, emoji: '🎉' }),
    );
    await seoul.app.message(messageEvent('s-2', { action: 'notice', roomId: 'global', text: 'party' }));
    const sent = invoke.invokes.slice(before);
    expect(sent).toHaveLength(4);
    const toNa = sent
      .filter((i) => i.functionName === 'chatctl-na-relay')
      .map((i) => i.payload as RelayPayload);
    for (const payload of toNa) expect((await na.app.relay(payload)).delivered).toBe(1);
    const frames = connections.framesFor('n-1').map((f) => f.type);
    expect(frames).toContain('reaction');
    expect(frames).toContain('notice');
  });

  it('relay: a stale connection in the receiving region is deleted; dryRun delivers nothing', async () => {
    connections.gone.add('t-2');
    const before = connections.posts.length;
    expect(await tokyo.app.relay({ dryRun: true })).toEqual({ ok: true, region: 'tokyo', dryRun: true });
    expect(connections.posts.length).toBe(before);
    await seoul.app.message(
      messageEvent('s-1', { action: 'send', roomId: 'global', text: 'second', clientMsgId: cmid() }),
    );
    const payload = invoke.invokes.filter((i) => i.functionName === 'chatctl-tokyo-relay').at(-1)!
      .payload as RelayPayload;
    expect(await tokyo.app.relay(payload)).toMatchObject({ ok: true, delivered: 1, gone: 1 });
    expect(await tokyo.store.presence.getPresence('global', 'tokyo', 't-2')).toBeUndefined();
    expect(await tokyo.store.presence.getPresence('global', 'tokyo', 't-1')).toBeDefined();
  });

  it('relay: a malformed payload is refused without posting', async () => {
    const before = connections.posts.length;
    expect(await tokyo.app.relay({ roomId: 'global' } as RelayPayload)).toMatchObject({ ok: false });
    expect(
      await tokyo.app.relay({ roomId: '../x', frame: { type: 'pong', region: 'x', time: 1 } }),
    ).toMatchObject({
      ok: false,
    });
    const forged = {
      roomId: 'global',
      relayId: 'x1',
      frame: { type: 'notice', notice: { roomId: 'other', text: 't', userId: 'u', setAt: 1 } },
    };
    expect(await tokyo.app.relay(forged as RelayPayload)).toMatchObject({ ok: false, error: /room other/ });
    expect(connections.posts.length).toBe(before);
  });

  it('join: the page it answers with, and the page a region answers a relayed join with, are consistent reads', async () => {
    // A send written just before the presence must be in that page (docs/protocol.md, Joins); on AWS a plain
    // read right after a write may miss it, so DynamoDB Local's always-consistent answers cannot show this.
    const pageReads = (from: number) =>
      commands
        .slice(from)
        .filter(
          (c) =>
            c.name === 'QueryCommand' &&
            (c.input.ExpressionAttributeValues as Record<string, { S?: string }>)[':lo']?.S?.startsWith(
              'MSG#',
            ),
        );
    const before = commands.length;
    const invokesBefore = invoke.invokes.length;
    await connectAndJoin(seoul, 'cj-1', 'cora', ['consistent-join']);
    const here = pageReads(before);
    expect(here.length).toBeGreaterThan(0);
    expect(here.map((c) => c.input.ConsistentRead)).toEqual(here.map(() => true));
    const relayed = invoke.invokes
      .slice(invokesBefore)
      .find((i) => i.functionName === 'chatctl-tokyo-relay' && (i.payload as RelayPayload).join);
    expect(relayed).toBeDefined();
    const atTokyo = commands.length;
    await tokyo.app.relay(relayed!.payload as RelayPayload);
    const there = pageReads(atTokyo);
    expect(there.length).toBeGreaterThan(0);
    expect(there.map((c) => c.input.ConsistentRead)).toEqual(there.map(() => true));
  });
});
