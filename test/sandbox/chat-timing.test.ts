/**
 * The chat under AWS's real timing and failures (docs/protocol.md): a region 10 s slow does not hold the
 * others' acks and joins beyond their budgets, and what it missed still arrives once.
 */
import { monotonicFactory } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientIdClock, newId } from '../../core/message-id.js';
import { defaultTopology } from '../../core/topology.js';
import type { Sandbox } from '../../sandbox/index.js';
import type { LambdaView } from '../../sandbox/services/lambda/index.js';
import { eventually } from '../support/eventually.js';
import { joinedMember, startTestSandbox, uniqueRoom } from './support.js';
import { connect, type TestClient } from './ws-client.js';

type Message = {
  messageId: string;
  clientMsgId: string;
  text: string;
  parentId?: string;
  reactions?: Record<string, string[]>;
};

let sandbox: Sandbox;
const open: TestClient[] = [];
const nextClientId = clientIdClock();

beforeAll(async () => {
  // The react lane wide enough for 40 frames at once (its default of 25 would throttle some: caps, below).
  const topology = defaultTopology();
  sandbox = await startTestSandbox(
    { lag: { '*': 200 } },
    { ...topology, lanes: { ...topology.lanes, react: 150 } },
  );
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await sandbox?.stop();
});

const lambda = () => sandbox.service('lambda') as unknown as LambdaView;
const room = uniqueRoom;
const member = (region: string, userId: string, roomId: string) =>
  joinedMember(sandbox, open, region, userId, roomId);

async function say(client: TestClient, roomId: string, text: string, clientMsgId = nextClientId()) {
  client.send({ action: 'send', roomId, text, clientMsgId });
  return client.next(
    (f) => f.clientMsgId === clientMsgId && (f.type === 'ack' || f.type === 'error'),
    30_000,
  );
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

describe('chat under real timing', () => {
  it('budget: with tokyo 10 s slow, a seoul send is acked within 1.5 s and a seoul join within 4 s; tokyo still gets each message once', async () => {
    const roomId = room('slow');
    const sender = await member('seoul', 'hana', roomId);
    const far = await member('tokyo', 'kenji', roomId);
    await sandbox.replication.settle();
    sandbox.faults.inject('tokyo', 'latency=10000');
    try {
      const acks: Record<string, unknown>[] = [];
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        const ack = await say(sender, roomId, `slow ${i}`);
        expect(ack.type).toBe('ack');
        expect(Date.now() - started).toBeLessThan(1500);
        acks.push(ack);
      }
      const started = Date.now();
      await member('seoul', 'joiner', roomId);
      expect(Date.now() - started).toBeLessThan(4000);
      // Late, but there: the first attempt lands after the network's 10 s, the async retry is posted once.
      const ids = acks.map((a) => a.messageId as string);
      await eventually(() => {
        const seen = pushed(far, roomId).map((m) => m.messageId);
        return ids.every((id) => seen.includes(id));
      }, 40_000);
      await eventually(() => lambda().inFlight() === 0, 40_000);
      const seen = pushed(far, roomId).map((m) => m.messageId);
      expect(seen.filter((id) => ids.includes(id))).toHaveLength(ids.length);
    } finally {
      sandbox.faults.heal('tokyo', 'latency');
    }
  }, 90_000);

  it("before replication: with na paused, a na user replies and reacts to a seoul message it was pushed; a made-up id or another room's message is still refused; all converge", async () => {
    const roomId = room('early');
    const elsewhere = room('other');
    const sender = await member('seoul', 'sora', roomId);
    const reader = await member('na', 'nate', roomId);
    const outsider = await member('seoul', 'sora', elsewhere);
    await sandbox.replication.settle();
    const hidden = await say(outsider, elsewhere, 'in another room');
    sandbox.replication.pause('na');
    let reply: Record<string, unknown>;
    const original = await say(sender, roomId, 'react to me');
    try {
      await reader.next(
        (f) => f.type === 'message' && (f.message as Message).messageId === original.messageId,
        10_000,
      );
      reader.send({ action: 'react', roomId, messageId: original.messageId, emoji: '👍' });
      const reacted = await reader.next((f) => f.type === 'reaction' || f.type === 'error', 10_000);
      expect(reacted).toMatchObject({ type: 'reaction', messageId: original.messageId, userId: 'nate' });
      const replyId = nextClientId();
      reader.send({
        action: 'send',
        roomId,
        text: 'a reply',
        clientMsgId: replyId,
        parentId: original.messageId,
      });
      reply = await reader.next((f) => f.clientMsgId === replyId, 10_000);
      expect(reply.type).toBe('ack');
      // Ids that are no message of this room: made up, or another room's (held in seoul).
      for (const messageId of [newId(), hidden.messageId as string]) {
        reader.send({ action: 'react', roomId, messageId, emoji: '👍' });
        const refused = await reader.next((f) => f.type === 'error' || f.type === 'reaction', 10_000);
        expect(refused).toMatchObject({ type: 'error', code: 'NOT_FOUND', action: 'react' });
        const badReply = nextClientId();
        reader.send({
          action: 'send',
          roomId,
          text: 'no parent',
          clientMsgId: badReply,
          parentId: messageId,
        });
        const refusedReply = await reader.next((f) => f.clientMsgId === badReply, 10_000);
        expect(refusedReply).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
      }
    } finally {
      sandbox.replication.resume('na');
    }
    await sandbox.replication.settle();
    for (const region of ['seoul', 'tokyo', 'na']) {
      const history = await historyIn(region, roomId);
      expect(
        history.map((m) => [m.messageId, m.parentId, m.reactions]),
        region,
      ).toEqual([
        [original.messageId, undefined, { '👍': ['nate'] }],
        [reply.messageId, original.messageId, undefined],
      ]);
    }
  });

  it('ulid: 30 sends of an independent monotonic ULID generator (most in one millisecond) keep their order in history and in every push', async () => {
    const roomId = room('ulid');
    const sender = await member('seoul', 'mono', roomId);
    const near = await member('seoul', 'near', roomId);
    const far = await member('tokyo', 'far', roomId);
    await sandbox.replication.settle();
    const next = monotonicFactory();
    const now = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const clientMsgId = next(now);
      sender.send({
        action: 'send',
        roomId,
        text: `u${i}`,
        clientMsgId,
        ...(ids.length > 0 ? { after: ids.at(-1) } : {}),
        ...(i < 29 ? { more: true } : {}),
      });
      ids.push(clientMsgId);
    }
    const texts = ids.map((_, i) => `u${i}`);
    await sender.next((f) => f.type === 'ack' && f.clientMsgId === ids.at(-1), 20_000);
    for (const client of [near, far]) {
      await client.next(
        (f) => f.type === 'message' && (f.message as Message).clientMsgId === ids.at(-1),
        20_000,
      );
      expect(pushed(client, roomId).map((m) => m.text)).toEqual(texts);
    }
    await sandbox.replication.settle();
    for (const region of ['seoul', 'tokyo', 'na']) {
      expect(
        (await historyIn(region, roomId)).map((m) => m.text),
        region,
      ).toEqual(texts);
    }
  });

  it('one text per id: the same clientMsgId sent with other texts in seoul (paused) and tokyo, and again in seoul, never pushes or keeps two texts under one id', async () => {
    const roomId = room('text');
    const inSeoul = await member('seoul', 'yuna', roomId);
    const inTokyo = await member('tokyo', 'yuna', roomId);
    const watcher = await member('na', 'watch', roomId);
    await sandbox.replication.settle();
    const clientMsgId = nextClientId();
    sandbox.replication.pause('seoul');
    let acks: Record<string, unknown>[];
    try {
      acks = [
        await say(inSeoul, roomId, 'first text', clientMsgId),
        await say(inTokyo, roomId, 'second text', clientMsgId),
      ];
    } finally {
      sandbox.replication.resume('seoul');
    }
    acks.push(await say(inSeoul, roomId, 'third text', clientMsgId));
    // A true retry (same text) is still one message.
    const retry = await say(inTokyo, roomId, 'second text', clientMsgId);
    expect(retry.messageId).toBe(acks[1].messageId);
    expect(new Set(acks.map((a) => a.messageId)).size).toBe(3);
    await sandbox.replication.settle();
    const textOf = new Map<string, string>();
    const record = (id: string, text: string, where: string) => {
      expect(textOf.get(id) ?? text, `${where}: ${id}`).toBe(text);
      textOf.set(id, text);
    };
    await eventually(() => pushed(watcher, roomId).length >= 3, 10_000);
    for (const m of pushed(watcher, roomId)) record(m.messageId, m.text, 'push');
    for (const region of ['seoul', 'tokyo', 'na']) {
      const history = await historyIn(region, roomId);
      expect(history.map((m) => m.text).sort(), region).toEqual(['first text', 'second text', 'third text']);
      for (const m of history) record(m.messageId, m.text, region);
    }
  });

  it('caps: 40 concurrent react frames from one user in one region store exactly the per-user cap of 10; the other 30 are refused with LIMIT', async () => {
    const roomId = room('cap');
    const author = await member('seoul', 'poster', roomId);
    const fan = await member('seoul', 'fan', roomId);
    const { messageId } = await say(author, roomId, 'react to me, a lot');
    for (const emoji of EMOJI.slice(0, 40)) fan.send({ action: 'react', roomId, messageId, emoji });
    const answers = () =>
      fan.frames.filter(
        (f) =>
          (f.type === 'reaction' && f.userId === 'fan' && f.messageId === messageId) ||
          (f.type === 'error' && f.action === 'react'),
      );
    await eventually(() => answers().length >= 40, 20_000);
    const refused = answers().filter((f) => f.type === 'error');
    expect(refused).toHaveLength(30);
    expect(refused.every((f) => f.code === 'LIMIT')).toBe(true);
    await sandbox.replication.settle();
    let kept: string[] = [];
    for (const region of ['seoul', 'tokyo']) {
      const [message] = (await historyIn(region, roomId)).filter((m) => m.messageId === messageId);
      kept = Object.entries(message.reactions ?? {})
        .filter(([, users]) => users.includes('fan'))
        .map(([emoji]) => emoji);
      expect(kept, region).toHaveLength(10);
    }
    // A removal gives its slot back (twice is once); the cap still holds after it.
    fan.send({ action: 'react', roomId, messageId, emoji: kept[0], add: false });
    fan.send({ action: 'react', roomId, messageId, emoji: kept[0], add: false });
    await eventually(() => answers().length >= 42, 10_000);
    const before = answers().length;
    for (const emoji of EMOJI.slice(40, 44)) fan.send({ action: 'react', roomId, messageId, emoji });
    await eventually(() => answers().length >= before + 4, 10_000);
    expect(
      answers()
        .slice(before)
        .filter((f) => f.type === 'reaction'),
    ).toHaveLength(1);
  });

  it('caps across regions: one user reacting 40 times at once in each of two and of three regions ends with at most the cap per region (the bound docs/protocol.md states), and then no region takes more', async () => {
    for (const regions of [
      ['seoul', 'tokyo'],
      ['seoul', 'tokyo', 'na'],
    ]) {
      const roomId = room(`cap${regions.length}`);
      const author = await member('seoul', 'poster', roomId);
      const fans = await Promise.all(regions.map((r) => member(r, 'fan', roomId)));
      const { messageId } = await say(author, roomId, 'react everywhere');
      await sandbox.replication.settle();
      fans.forEach((fan, i) => {
        for (const emoji of EMOJI.slice(i * 40, i * 40 + 40))
          fan.send({ action: 'react', roomId, messageId, emoji });
      });
      const answered = (fan: TestClient, i: number) =>
        fan.frames.filter(
          (f) =>
            (f.type === 'reaction' &&
              f.messageId === messageId &&
              EMOJI.slice(i * 40, i * 40 + 40).includes(f.emoji as string)) ||
            (f.type === 'error' && f.action === 'react'),
        ).length;
      // Each connection gets its 40 answers, and the reactions the others made in its region.
      await eventually(() => fans.every((fan, i) => answered(fan, i) >= 40), 30_000);
      await sandbox.replication.settle();
      const counts: number[] = [];
      for (const region of regions) {
        const [message] = (await historyIn(region, roomId)).filter((m) => m.messageId === messageId);
        counts.push(Object.values(message.reactions ?? {}).filter((users) => users.includes('fan')).length);
      }
      // Every replica agrees, and holds at least one region's cap and at most one per region.
      expect(new Set(counts).size).toBe(1);
      expect(counts[0]).toBeGreaterThanOrEqual(10);
      expect(counts[0]).toBeLessThanOrEqual(10 * regions.length);
      for (const [i, fan] of fans.entries()) {
        const before = fan.frames.length;
        const emoji = EMOJI[130 + i];
        fan.send({ action: 'react', roomId, messageId, emoji });
        const isAnswer = (f: Record<string, unknown>) =>
          (f.type === 'error' && f.action === 'react') || (f.type === 'reaction' && f.emoji === emoji);
        await eventually(() => fan.frames.slice(before).some(isAnswer), 10_000);
        const answer = fan.frames.slice(before).find(isAnswer);
        expect(answer, regions[i]).toMatchObject({ type: 'error', code: 'LIMIT' });
      }
    }
  }, 120_000);
});

/** 140 distinct emoji (the emoticons and the transport and map symbols blocks). */
const EMOJI = [
  ...Array.from({ length: 80 }, (_, i) => String.fromCodePoint(0x1f600 + i)),
  ...Array.from({ length: 60 }, (_, i) => String.fromCodePoint(0x1f680 + i)),
];
