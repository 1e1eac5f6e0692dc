import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage, ServerFrame } from '../../core/protocol.js';
import {
  type ConnectionsServer,
  cmid,
  connectAndJoin,
  dynamoClient,
  expectOnlyJoinNoticeWarnings,
  freshTable,
  messageEvent,
  type Region,
  region,
  startConnectionsServer,
} from './support.js';

let connections: ConnectionsServer;
let seoul: Region;
const { client, calls } = dynamoClient();
const WRITES = ['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'TransactWriteItemsCommand'];

// First, so that its spy also reads the warnings of the file's own setup.
expectOnlyJoinNoticeWarnings();
beforeAll(async () => {
  connections = await startConnectionsServer();
  const table = await freshTable(client, 'actions');
  seoul = region('seoul', { client, table, connections });
});
afterAll(async () => {
  await connections.close();
});

const framesOf = <T extends ServerFrame['type']>(id: string, type: T) =>
  connections.framesFor(id).filter((f) => f.type === type) as Extract<ServerFrame, { type: T }>[];
const last = (id: string) => connections.framesFor(id).at(-1);
const send = (id: string, frame: Record<string, unknown>) => seoul.app.message(messageEvent(id, frame));

/** A message's reactions as a page of history reads them (reaction items and any legacy map). */
async function reactionsOf(roomId: string, messageId: string) {
  const page = await seoul.store.messages.page(roomId, 50);
  return page.messages.find((m) => m.messageId === messageId)?.reactions;
}

async function say(id: string, roomId: string, text: string, extra: Record<string, unknown> = {}) {
  const clientMsgId = cmid();
  await send(id, { action: 'send', roomId, text, clientMsgId, ...extra });
  const ack = framesOf(id, 'ack').find((a) => a.clientMsgId === clientMsgId);
  if (!ack) throw new Error(`no ack for ${text}: ${JSON.stringify(last(id))}`);
  return ack.messageId;
}

describe('runtime actions', () => {
  it('join: returns recent history (newest last), the pinned notice and registers presence', async () => {
    await connectAndJoin(seoul, 'j-amy', 'amy', ['hist']);
    await say('j-amy', 'hist', 'one');
    await say('j-amy', 'hist', 'two');
    await send('j-amy', { action: 'notice', roomId: 'hist', text: 'be nice' });
    await connectAndJoin(seoul, 'j-bob', 'bob', ['hist']);
    const joined = framesOf('j-bob', 'joined').at(-1)!;
    expect(joined.history.map((m) => m.text)).toEqual(['one', 'two']);
    expect(joined.notice).toMatchObject({ text: 'be nice', userId: 'amy' });
    expect(joined.cursor).toBeNull();
    expect(await seoul.store.presence.getPresence('hist', 'seoul', 'j-bob')).toMatchObject({ userId: 'bob' });
  });

  it('leave: removes presence; a later send there is refused with NOT_MEMBER, naming the send', async () => {
    await connectAndJoin(seoul, 'l-amy', 'amy', ['leaving']);
    await send('l-amy', { action: 'leave', roomId: 'leaving' });
    expect(last('l-amy')).toEqual({ type: 'left', roomId: 'leaving' });
    expect(await seoul.store.presence.getPresence('leaving', 'seoul', 'l-amy')).toBeUndefined();
    const clientMsgId = cmid();
    await send('l-amy', { action: 'send', roomId: 'leaving', text: 'x', clientMsgId });
    expect(last('l-amy')).toMatchObject({ type: 'error', code: 'NOT_MEMBER', action: 'send', clientMsgId });
  });

  it('send: a retry with the same clientMsgId gets the same messageId and writes one message', async () => {
    await connectAndJoin(seoul, 'i-amy', 'amy', ['idem']);
    await connectAndJoin(seoul, 'i-bob', 'bob', ['idem']);
    const clientMsgId = cmid();
    const frame = { action: 'send', roomId: 'idem', text: 'once', clientMsgId };
    await send('i-amy', frame);
    await send('i-amy', frame);
    const acks = framesOf('i-amy', 'ack');
    expect(acks).toHaveLength(2);
    expect(acks[1].messageId).toBe(acks[0].messageId);
    expect(acks.map((a) => a.duplicate)).toEqual([false, true]);
    expect(framesOf('i-bob', 'message')).toHaveLength(1);
    const page = await seoul.store.messages.page('idem', 10);
    expect(page.messages.map((m) => m.text)).toEqual(['once']);
  });

  it('send: a reply names its parent; a parentId from another room or unknown is refused', async () => {
    await connectAndJoin(seoul, 'p-amy', 'amy', ['thread', 'other']);
    const parent = await say('p-amy', 'thread', 'question');
    const reply = await say('p-amy', 'thread', 'answer', { parentId: parent });
    expect((await seoul.store.messages.getMessage('thread', reply))?.parentId).toBe(parent);
    const before = calls.length;
    await send('p-amy', {
      action: 'send',
      roomId: 'other',
      text: 'x',
      clientMsgId: cmid(),
      parentId: parent,
    });
    expect(last('p-amy')).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
    expect(calls.slice(before).filter((c) => WRITES.includes(c))).toEqual([]);
  });

  it('send: a body that claims another userId is refused; the user comes only from the token', async () => {
    await connectAndJoin(seoul, 'u-amy', 'amy', ['claims']);
    await send('u-amy', {
      action: 'send',
      roomId: 'claims',
      text: 'x',
      clientMsgId: cmid(),
      userId: 'mallory',
    });
    expect(last('u-amy')).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
    const id = await say('u-amy', 'claims', 'mine');
    expect((await seoul.store.messages.getMessage('claims', id))?.userId).toBe('amy');
  });

  it('history: pages backwards across pages with an opaque cursor until the first message', async () => {
    await connectAndJoin(seoul, 'h-amy', 'amy', ['pages']);
    for (let i = 1; i <= 7; i++) await say('h-amy', 'pages', `m${i}`);
    const seen: string[][] = [];
    let cursor: string | null | undefined;
    for (let n = 0; n < 10; n++) {
      await send('h-amy', {
        action: 'history',
        roomId: 'pages',
        limit: 3,
        ...(cursor ? { before: cursor } : {}),
      });
      const page = last('h-amy') as Extract<ServerFrame, { type: 'history' }>;
      expect(page.type).toBe('history');
      seen.push(page.messages.map((m: ChatMessage) => m.text));
      cursor = page.cursor;
      if (!cursor) break;
      expect(cursor).not.toContain('MSG#');
    }
    expect(seen.filter((p) => p.length > 0)).toEqual([['m5', 'm6', 'm7'], ['m2', 'm3', 'm4'], ['m1']]);
  });

  it('history: a forged cursor, a bad limit or a room not joined is refused', async () => {
    await send('h-amy', { action: 'history', roomId: 'pages', before: 'TVNHI3h4eA' });
    expect(last('h-amy')).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
    await send('h-amy', { action: 'history', roomId: 'pages', limit: 1000 });
    expect(last('h-amy')).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
    await send('h-amy', { action: 'history', roomId: 'elsewhere' });
    expect(last('h-amy')).toMatchObject({ type: 'error', code: 'NOT_MEMBER' });
  });

  it('react: adds once per user per emoji, removes, and every member gets the reaction', async () => {
    await connectAndJoin(seoul, 'r-amy', 'amy', ['reacts']);
    await connectAndJoin(seoul, 'r-bob', 'bob', ['reacts']);
    const id = await say('r-amy', 'reacts', 'react to me');
    await send('r-bob', { action: 'react', roomId: 'reacts', messageId: id, emoji: '👍' });
    await send('r-bob', { action: 'react', roomId: 'reacts', messageId: id, emoji: '👍' });
    await send('r-amy', { action: 'react', roomId: 'reacts', messageId: id, emoji: '👍' });
    await send('r-amy', { action: 'react', roomId: 'reacts', messageId: id, emoji: '🇰🇷' });
    expect(await reactionsOf('reacts', id)).toEqual({ '👍': ['amy', 'bob'], '🇰🇷': ['amy'] });
    await send('r-bob', { action: 'react', roomId: 'reacts', messageId: id, emoji: '👍', add: false });
    expect(await reactionsOf('reacts', id)).toEqual({ '👍': ['amy'], '🇰🇷': ['amy'] });
    expect(framesOf('r-amy', 'reaction').at(-1)).toEqual({
      type: 'reaction',
      roomId: 'reacts',
      messageId: id,
      emoji: '👍',
      userId: 'bob',
      added: false,
    });
  });

  it('react: a non-emoji or an unknown message is refused and writes nothing', async () => {
    const id = await say('r-amy', 'reacts', 'again');
    const before = calls.length;
    await send('r-amy', { action: 'react', roomId: 'reacts', messageId: id, emoji: 'lol' });
    expect(last('r-amy')).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
    await send('r-amy', { action: 'react', roomId: 'reacts', messageId: id, emoji: '<script>' });
    expect(last('r-amy')).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
    expect(calls.slice(before).filter((c) => WRITES.includes(c))).toEqual([]);
    await send('r-amy', {
      action: 'react',
      roomId: 'reacts',
      messageId: '01HZZZZZZZZZZZZZZZZZZZZZZZ',
      emoji: '👍',
    });
    expect(last('r-amy')).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
  });

  it('notice: pins a notice that every member gets and a later join sees', async () => {
    await connectAndJoin(seoul, 'n-amy', 'amy', ['notices']);
    await connectAndJoin(seoul, 'n-bob', 'bob', ['notices']);
    await send('n-amy', { action: 'notice', roomId: 'notices', text: 'meeting at 10' });
    expect(last('n-bob')).toMatchObject({ type: 'notice', notice: { text: 'meeting at 10', userId: 'amy' } });
    expect(await seoul.store.getNotice('notices')).toMatchObject({ text: 'meeting at 10' });
  });

  it('message: malformed or unknown frames get an error and write nothing; the connection stays usable', async () => {
    await connectAndJoin(seoul, 'b-amy', 'amy', ['bad']);
    const before = calls.length;
    const cases: [unknown, string][] = [
      ['not json', 'BAD_REQUEST'],
      ['[1,2]', 'BAD_REQUEST'],
      [{ a: 1 }, 'BAD_REQUEST'],
      [{ action: 'dance' }, 'UNKNOWN_ACTION'],
      [{ action: 'join', roomId: '../etc' }, 'BAD_REQUEST'],
      [{ action: 'join', roomId: 'x'.repeat(65) }, 'BAD_REQUEST'],
      [{ action: 'send', roomId: 'bad', text: '', clientMsgId: 'a' }, 'BAD_REQUEST'],
      [{ action: 'send', roomId: 'bad', text: 'x'.repeat(4001), clientMsgId: 'a' }, 'TOO_LARGE'],
      [{ action: 'send', roomId: 'bad', text: 'a\u0000b', clientMsgId: 'a' }, 'BAD_REQUEST'],
      [{ action: 'send', roomId: 'bad', text: 'hi', clientMsgId: 'a b' }, 'BAD_REQUEST'],
      [{ action: 'send', roomId: 'bad', text: 42, clientMsgId: 'a' }, 'BAD_REQUEST'],
      [{ action: 'send', roomId: 'bad', text: 'hi', clientMsgId: 'a', more: 'yes' }, 'BAD_REQUEST'],
      [{ action: 'notice', roomId: 'bad', text: 'x'.repeat(1001) }, 'TOO_LARGE'],
      [
        JSON.stringify({ action: 'send', roomId: 'bad', text: 'x'.repeat(40_000), clientMsgId: 'a' }),
        'TOO_LARGE',
      ],
    ];
    for (const [body, code] of cases) {
      const result = await seoul.app.message(messageEvent('b-amy', body));
      expect(result.statusCode).toBe(200);
      expect(last('b-amy'), JSON.stringify(body).slice(0, 80)).toMatchObject({ type: 'error', code });
    }
    expect(calls.slice(before).filter((c) => WRITES.includes(c))).toEqual([]);
    await send('b-amy', { action: 'ping' });
    expect(last('b-amy')).toMatchObject({ type: 'pong' });
  });

  it('message: the captured $default fixture body ({"a": 1}) gets a BAD_REQUEST error', async () => {
    const result = await seoul.app.message(messageEvent('b-amy', '{\r\n\t"a": 1\r\n}'));
    expect(result.statusCode).toBe(200);
    expect(last('b-amy')).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
  });
});
