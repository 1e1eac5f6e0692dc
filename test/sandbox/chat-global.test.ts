/**
 * The chat under Global Tables' real semantics, against a sandbox with real replication (lag, pause, heal):
 * concurrent reactions, retries after failover, order, joins, frame sizes, unreadable items, invisible text.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../core/datamodel.js';
import { clientIdClock, newId } from '../../core/message-id.js';
import { cursorBefore, LIMITS } from '../../core/protocol.js';
import type { Sandbox } from '../../sandbox/index.js';
import { clientConfig, joinedMember, startTestSandbox, uniqueRoom } from './support.js';
import { connect, type TestClient } from './ws-client.js';

type Message = { messageId: string; clientMsgId: string; text: string; reactions?: Record<string, string[]> };

let sandbox: Sandbox;
const open: TestClient[] = [];
const nextClientId = clientIdClock();
// Far enough apart that a join and a send racing each other show what replication alone would miss.
const LAG = { 'seoul:tokyo': 300, '*': 400 };

beforeAll(async () => {
  sandbox = await startTestSandbox({ lag: LAG });
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await sandbox?.stop();
});

const room = uniqueRoom;
const member = (region: string, userId: string, roomId: string) =>
  joinedMember(sandbox, open, region, userId, roomId);

async function say(client: TestClient, roomId: string, text: string, clientMsgId = nextClientId()) {
  client.send({ action: 'send', roomId, text, clientMsgId });
  return client.next((f) => f.type === 'ack' && f.clientMsgId === clientMsgId, 10_000);
}

/** A fresh member's view of the room in `region`: the joined history (a fresh connection each time). */
async function historyIn(region: string, roomId: string): Promise<Message[]> {
  const reader = await connect(sandbox.regions.get(region)!.websocketUrl, `reader-${region}`);
  try {
    reader.send({ action: 'join', roomId });
    const joined = await reader.next((f) => f.type === 'joined' && f.roomId === roomId, 10_000);
    return joined.history as Message[];
  } finally {
    await reader.close();
  }
}

const pushed = (client: TestClient, roomId: string) =>
  client.frames
    .filter((f) => f.type === 'message' && (f.message as { roomId: string }).roomId === roomId)
    .map((f) => f.message as Message);

describe('chat across regions', () => {
  it('reactions: 5 added in seoul and 5 in tokyo at once on one message all survive in every replica; so do removals', async () => {
    const roomId = room('react');
    const users = [
      ...Array.from({ length: 5 }, (_, i) => ({ region: 'seoul', user: `rs${i}` })),
      ...Array.from({ length: 5 }, (_, i) => ({ region: 'tokyo', user: `rt${i}` })),
    ];
    const clients = await Promise.all(users.map((u) => member(u.region, u.user, roomId)));
    const ack = await say(clients[0], roomId, 'react to this');
    await sandbox.replication.settle();
    const react = (c: TestClient, add: boolean) =>
      c.send({ action: 'react', roomId, messageId: ack.messageId, emoji: '👍', add });
    for (const c of clients) react(c, true);
    await Promise.all(
      clients.map((c, i) =>
        c.next((f) => f.type === 'reaction' && f.userId === users[i].user && f.added === true, 10_000),
      ),
    );
    await sandbox.replication.settle();
    for (const region of ['seoul', 'tokyo', 'na']) {
      const [message] = await historyIn(region, roomId);
      expect(message.reactions?.['👍'], region).toEqual(users.map((u) => u.user).sort());
    }
    // Two removals in each region at once, one of them of a reaction the other region added.
    for (const c of [clients[0], clients[1], clients[5], clients[6]]) react(c, false);
    await Promise.all(
      [0, 1, 5, 6].map((i) =>
        clients[i].next(
          (f) => f.type === 'reaction' && f.userId === users[i].user && f.added === false,
          10_000,
        ),
      ),
    );
    await sandbox.replication.settle();
    for (const region of ['seoul', 'tokyo', 'na']) {
      const [message] = await historyIn(region, roomId);
      expect(message.reactions?.['👍'], region).toEqual(['rs2', 'rs3', 'rs4', 'rt2', 'rt3', 'rt4']);
    }
  });

  it('retry after failover: the same send in seoul (its replication paused) and then in na is one message with one id everywhere', async () => {
    const roomId = room('retry');
    const inSeoul = await member('seoul', 'mina', roomId);
    const inNa = await member('na', 'mina', roomId);
    await sandbox.replication.settle();
    const clientMsgId = nextClientId();
    let firstId: unknown;
    sandbox.replication.pause('seoul');
    try {
      const first = await say(inSeoul, roomId, 'are you there?', clientMsgId);
      const retry = await say(inNa, roomId, 'are you there?', clientMsgId);
      expect(first.duplicate).toBe(false);
      expect(retry.messageId).toBe(first.messageId);
      firstId = first.messageId;
    } finally {
      sandbox.replication.resume('seoul');
    }
    // With no fault at all, right after: na cannot know yet either, and still names the same message.
    const next = nextClientId();
    const a = await say(inSeoul, roomId, 'second', next);
    const b = await say(inNa, roomId, 'second', next);
    expect(b.messageId).toBe(a.messageId);
    // The same region knows.
    expect((await say(inSeoul, roomId, 'second', next)).duplicate).toBe(true);
    await sandbox.replication.settle();
    for (const region of ['seoul', 'tokyo', 'na']) {
      const history = await historyIn(region, roomId);
      expect(
        history.map((m) => [m.clientMsgId, m.messageId]),
        region,
      ).toEqual([
        [clientMsgId, firstId],
        [next, a.messageId],
      ]);
      expect(
        history.filter((m) => m.clientMsgId === clientMsgId),
        region,
      ).toHaveLength(1);
    }
  });

  it('order: 30 sends without waiting for acks keep the sender order in history and in every push, here and in another region', async () => {
    const roomId = room('order');
    const sender = await member('seoul', 'fast', roomId);
    const near = await member('seoul', 'near', roomId);
    const far = await member('tokyo', 'far', roomId);
    await sandbox.replication.settle();
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const clientMsgId = nextClientId();
      sender.send({
        action: 'send',
        roomId,
        text: `n${i}`,
        clientMsgId,
        // Each names the one before, and each but the last says one follows (docs/protocol.md, Order).
        ...(ids.length > 0 ? { after: ids.at(-1) } : {}),
        ...(i < 29 ? { more: true } : {}),
      });
      ids.push(clientMsgId);
    }
    const texts = ids.map((_, i) => `n${i}`);
    await sender.next((f) => f.type === 'ack' && f.clientMsgId === ids.at(-1), 20_000);
    for (const [name, client] of [
      ['near', near],
      ['far', far],
    ] as const) {
      await client.next(
        (f) => f.type === 'message' && (f.message as Message).clientMsgId === ids.at(-1),
        20_000,
      );
      expect(
        pushed(client, roomId).map((m) => m.text),
        name,
      ).toEqual(texts);
    }
    await sandbox.replication.settle();
    expect((await historyIn('tokyo', roomId)).map((m) => m.text)).toEqual(texts);
  });

  it('order: 30 sends without waiting for acks (and without after) keep the sender order in history', async () => {
    const roomId = room('order-h');
    const sender = await member('seoul', 'hasty', roomId);
    const ids = Array.from({ length: 30 }, () => nextClientId());
    ids.forEach((clientMsgId, i) => {
      sender.send({ action: 'send', roomId, text: `h${i}`, clientMsgId });
    });
    const acked = () =>
      ids.every((id) => sender.frames.some((f) => f.type === 'ack' && f.clientMsgId === id));
    for (let i = 0; i < 400 && !acked(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(acked()).toBe(true);
    await sandbox.replication.settle();
    const texts = ids.map((_, i) => `h${i}`);
    for (const region of ['seoul', 'na']) {
      expect(
        (await historyIn(region, roomId)).map((m) => m.text),
        region,
      ).toEqual(texts);
    }
  });

  it('join: a member joining in tokyo while seoul sends gets every message acked after its joined pushed, and none is lost', async () => {
    const roomId = room('join');
    const sender = await member('seoul', 'talker', roomId);
    await sandbox.replication.settle();
    const acks: { clientMsgId: string; sentAt: number }[] = [];
    // Sends one after another until stopped: never by a count, since a warm process sends one every ~5 ms
    // and a count could be over before the join (relay round trips to each other region) had answered, or
    // still running long after on a loaded machine. 60 s is a safety bound only, should the test fail
    // before it stops the talker.
    let stop = false;
    const talkUntil = performance.now() + 60_000;
    const talking = (async () => {
      for (let i = 0; !stop && performance.now() < talkUntil; i++) {
        const sentAt = performance.now();
        const ack = await say(sender, roomId, `t${i}`);
        acks.push({ clientMsgId: ack.clientMsgId as string, sentAt });
      }
    })();
    let joiner: TestClient;
    let joined: Record<string, unknown>;
    let joinedAt: number;
    try {
      await new Promise((resolve) => setTimeout(resolve, 150));
      joiner = await connect(sandbox.regions.get('tokyo')!.websocketUrl, 'newcomer');
      open.push(joiner);
      joiner.send({ action: 'join', roomId });
      joined = await joiner.next((f) => f.type === 'joined' && f.roomId === roomId, 20_000);
      joinedAt = performance.now();
      // Talk on until enough sends started after the joined frame (a safety bound of 20 s: a loaded machine
      // sends slowly).
      const enoughBy = performance.now() + 20_000;
      while (acks.filter((a) => a.sentAt > joinedAt).length < 8 && performance.now() < enoughBy) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      stop = true;
      await talking;
    }
    const history = new Set((joined.history as Message[]).map((m) => m.clientMsgId));
    const after = acks.filter((a) => a.sentAt > joinedAt);
    const oldest = acks.findIndex((a) => history.has(a.clientMsgId));
    const got = () => new Set(pushed(joiner, roomId).map((m) => m.clientMsgId));
    // Owed a push: each message sent after the joined frame arrived (so acked after it), and each from the
    // oldest of the joined history on (older ones are behind its cursor) that is not in that history.
    const owed = new Set([
      ...after,
      ...acks.slice(Math.max(oldest, 0)).filter((a) => !history.has(a.clientMsgId)),
    ]);
    // The pushes are concurrent invocations (these sends name no `after`), so any may come last: wait for
    // every one owed, not for the last sent; 20 s is a safety bound. What is still missing then is named below.
    const owedBy = performance.now() + 20_000;
    while ([...owed].some((a) => !got().has(a.clientMsgId)) && performance.now() < owedBy) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(after.length).toBeGreaterThan(5);
    // Sent after the joined frame arrived: acked after it, so pushed.
    const pushedNow = got();
    expect(after.filter((a) => !pushedNow.has(a.clientMsgId))).toEqual([]);
    // Every message sent around the join is in the joined history or pushed, never neither.
    expect(oldest).toBeGreaterThanOrEqual(0);
    expect(
      acks.slice(oldest).filter((a) => !pushedNow.has(a.clientMsgId) && !history.has(a.clientMsgId)),
    ).toEqual([]);
  });

  it('gap: a push lost to a failed relay is noticed by the next message (prevId) and history fills it', async () => {
    const roomId = room('gap');
    const sender = await member('seoul', 'gapper', roomId);
    const remote = await member('na', 'listener', roomId);
    await sandbox.replication.settle();
    const first = await say(sender, roomId, 'before');
    await remote.next((f) => f.type === 'message' && (f.message as Message).messageId === first.messageId);
    sandbox.faults.inject('na', 'relay-error');
    const lost = await say(sender, roomId, 'lost');
    // The relay's Invoke is retried by the SDK: heal only once those retries are spent.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    sandbox.faults.heal('na', 'relay-error');
    await sandbox.replication.settle();
    const after = await say(sender, roomId, 'after');
    const frame = await remote.next(
      (f) => f.type === 'message' && (f.message as Message).messageId === after.messageId,
    );
    const seen = new Set(pushed(remote, roomId).map((m) => m.messageId));
    expect(seen.has(lost.messageId as string)).toBe(false);
    const prevId = (frame.message as { prevId?: string }).prevId;
    expect(prevId).toBe(lost.messageId);
    // The client notices prevId is unknown, and pages history from the new message back to it.
    const cursor = cursorBefore(after.messageId as string);
    remote.send({ action: 'history', roomId, before: cursor, limit: 10 });
    const page = await remote.next((f) => f.type === 'history' && f.roomId === roomId);
    expect((page.messages as Message[]).map((m) => m.messageId)).toContain(prevId);
  });

  it('size: a room of 12 messages of 4,000 Hangul characters stays joinable; pages fit 128 KB and a cursor gives the rest', async () => {
    const roomId = room('big');
    const writer = await member('seoul', 'writer', roomId);
    const hangul = '한'.repeat(LIMITS.textChars);
    for (let i = 0; i < 12; i++) await say(writer, roomId, hangul);
    const reader = await connect(sandbox.regions.get('seoul')!.websocketUrl, 'bigreader');
    open.push(reader);
    reader.send({ action: 'join', roomId });
    const joined = await reader.next((f) => f.type === 'joined' && f.roomId === roomId, 10_000);
    expect(Buffer.byteLength(JSON.stringify(joined))).toBeLessThanOrEqual(LIMITS.messageBytes);
    const seen = [...(joined.history as Message[])];
    expect(seen.length).toBeGreaterThan(0);
    let cursor = joined.cursor as string | null;
    expect(cursor).not.toBeNull();
    while (cursor) {
      reader.send({ action: 'history', roomId, before: cursor });
      const page = await reader.next((f) => f.type === 'history' && f.roomId === roomId, 10_000);
      expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThanOrEqual(LIMITS.messageBytes);
      seen.unshift(...(page.messages as Message[]));
      cursor = page.cursor as string | null;
    }
    expect(new Set(seen.map((m) => m.messageId)).size).toBe(12);
    reader.send({ action: 'history', roomId, limit: 1 });
    const one = await reader.next((f) => f.type === 'history' && f.roomId === roomId);
    expect(one.messages).toHaveLength(1);
  });

  it('size: reactions are capped per message and per user with a LIMIT error frame; the room stays joinable', async () => {
    const roomId = room('caps');
    const emoji = [
      '😀',
      '😁',
      '😂',
      '🤣',
      '😃',
      '😄',
      '😅',
      '😆',
      '😉',
      '😊',
      '😋',
      '😎',
      '😍',
      '😘',
      '🥰',
      '😗',
      '😙',
      '😚',
      '🙂',
      '🤗',
      '🤩',
    ];
    const a = await member('seoul', 'capa', roomId);
    const b = await member('seoul', 'capb', roomId);
    const ack = await say(a, roomId, 'react a lot');
    const react = async (c: TestClient, e: string) => {
      c.send({ action: 'react', roomId, messageId: ack.messageId, emoji: e });
      return c.next(
        (f) => (f.type === 'reaction' && f.emoji === e) || (f.type === 'error' && f.action === 'react'),
      );
    };
    for (const e of emoji.slice(0, LIMITS.reactionsPerUser))
      expect((await react(a, e)).type).toBe('reaction');
    const overUser = await react(a, emoji[LIMITS.reactionsPerUser]);
    expect(overUser).toMatchObject({ type: 'error', code: 'LIMIT', action: 'react' });
    for (const e of emoji.slice(LIMITS.reactionsPerUser, LIMITS.reactionEmojiPerMessage)) {
      expect((await react(b, e)).type).toBe('reaction');
    }
    const overEmoji = await react(b, emoji[LIMITS.reactionEmojiPerMessage]);
    expect(overEmoji).toMatchObject({
      type: 'error',
      code: 'LIMIT',
      message: expect.stringMatching(/distinct emoji/),
    });
    const [message] = await historyIn('seoul', roomId);
    expect(Object.keys(message.reactions ?? {})).toHaveLength(LIMITS.reactionEmojiPerMessage);
  });

  it('unreadable item: a message item missing its attributes (written through the edge) is skipped; join and history serve the rest', async () => {
    const roomId = room('bad');
    const writer = await member('seoul', 'ok', roomId);
    await say(writer, roomId, 'good one');
    const db = new DynamoDBClient(clientConfig(sandbox, 'ap-northeast-2'));
    await db.send(
      new PutItemCommand({
        TableName: sandbox.tableName,
        Item: { pk: { S: keys.roomPk(roomId) }, sk: { S: keys.messageSk(newId()) }, type: { S: 'message' } },
      }),
    );
    db.destroy();
    await say(writer, roomId, 'good two');
    expect((await historyIn('seoul', roomId)).map((m) => m.text)).toEqual(['good one', 'good two']);
    writer.send({ action: 'history', roomId });
    const page = await writer.next((f) => f.type === 'history' && f.roomId === roomId);
    expect((page.messages as Message[]).map((m) => m.text)).toEqual(['good one', 'good two']);
  });

  it('invisible text: a text of only U+200B and U+3164, or of C1 controls, is refused as empty with an error frame', async () => {
    const roomId = room('blank');
    const writer = await member('seoul', 'blank', roomId);
    for (const text of ['\u200b\u3164', '\u3164', ' \u200b\n', '\u0085\u009c']) {
      writer.send({ action: 'send', roomId, text, clientMsgId: nextClientId() });
      const error = await writer.next((f) => f.type === 'error');
      expect(error, JSON.stringify(text)).toMatchObject({ code: 'BAD_REQUEST', action: 'send' });
    }
    expect((await say(writer, roomId, '\u3164 hi')).type).toBe('ack');
  });

  it('existing data: a message written by the previous code (reactions map, server id, idempotency record) reads alike; its reactions can be removed and added to', async () => {
    const roomId = room('legacy');
    const messageId = newId(Date.now() - 60_000);
    const db = new DynamoDBClient(clientConfig(sandbox, 'ap-northeast-2'));
    await db.send(
      new PutItemCommand({
        TableName: sandbox.tableName,
        Item: {
          pk: { S: keys.roomPk(roomId) },
          sk: { S: keys.messageSk(messageId) },
          type: { S: 'message' },
          messageId: { S: messageId },
          roomId: { S: roomId },
          userId: { S: 'old' },
          text: { S: 'from before' },
          sentAt: { N: String(Date.now() - 60_000) },
          region: { S: 'seoul' },
          clientMsgId: { S: 'm1' },
          reactions: { M: { '👍': { SS: ['old', 'olga'] }, '🎉': { SS: ['old'] } } },
        },
      }),
    );
    db.destroy();
    await sandbox.replication.settle();
    expect((await historyIn('tokyo', roomId))[0]).toMatchObject({
      messageId,
      text: 'from before',
      reactions: { '👍': ['old', 'olga'], '🎉': ['old'] },
    });
    const olga = await member('tokyo', 'olga', roomId);
    olga.send({ action: 'react', roomId, messageId, emoji: '👍', add: false });
    await olga.next((f) => f.type === 'reaction' && f.added === false);
    olga.send({ action: 'react', roomId, messageId, emoji: '🎉' });
    await olga.next((f) => f.type === 'reaction' && f.added === true);
    await sandbox.replication.settle();
    for (const region of ['seoul', 'tokyo', 'na']) {
      expect((await historyIn(region, roomId))[0].reactions, region).toEqual({
        '👍': ['old'],
        '🎉': ['old', 'olga'],
      });
    }
  });
});
