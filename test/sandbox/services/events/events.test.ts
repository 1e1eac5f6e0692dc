// The local event bus against a real sandbox: chat actions in two regions, read through the edge's endpoint
// as a local program reads it (with the sandbox's secret, at the edge's own Host).
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatEvent, parseChatEvent } from '../../../../core/events.js';
import { CONTROL_SECRET_HEADER } from '../../../../sandbox/access.js';
import type { Sandbox } from '../../../../sandbox/index.js';
import { eventually } from '../../../support/eventually.js';
import { startTestSandbox } from '../../support.js';
import { connect, type TestClient } from '../../ws-client.js';

interface Line {
  seq: number;
  event: ChatEvent;
}

async function join(client: TestClient, roomId: string) {
  client.send({ action: 'join', roomId });
  return client.next((f) => f.type === 'joined' && f.roomId === roomId, 15_000);
}

async function send(client: TestClient, roomId: string, text: string, extra: object = {}) {
  const clientMsgId = `${text.replace(/\W/g, '_')}-${Math.random().toString(36).slice(2)}`;
  client.send({ action: 'send', roomId, text, clientMsgId, ...extra });
  const ack = await client.next((f) => f.type === 'ack' && f.clientMsgId === clientMsgId, 15_000);
  return ack.messageId as string;
}

describe('sandbox events', () => {
  let sandbox: Sandbox;
  const secret = () => sandbox.state.controlSecret;
  const url = (region: string) => sandbox.regions.get(region)!.websocketUrl;

  /** One page of the bus (no follow), parsed and checked against the contract. */
  async function page(query: string): Promise<Line[]> {
    const response = await fetch(`${sandbox.edge}/_chatctl/events?${query}`, {
      headers: { [CONTROL_SECRET_HEADER]: secret() },
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const parsed = JSON.parse(line) as Line;
        return { seq: parsed.seq, event: parseChatEvent(parsed.event) };
      });
  }

  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  it('events: every chat action arrives once on the local bus, valid against the schema, in the region it happened', async () => {
    const room = `ev-${Date.now()}`;
    const minsu = await connect(url('seoul'), 'minsu');
    const yuki = await connect(url('tokyo'), 'yuki');
    await join(minsu, room);
    await join(yuki, room);
    await sandbox.replication.settle();
    const first = await send(minsu, room, 'hello');
    await sandbox.replication.settle();
    const reply = await send(yuki, room, 'hi back', { parentId: first });
    await sandbox.replication.settle();
    minsu.send({ action: 'react', roomId: room, messageId: reply, emoji: '👍' });
    await minsu.next((f) => f.type === 'reaction' && f.added === true);
    minsu.send({ action: 'react', roomId: room, messageId: reply, emoji: '👍', add: false });
    await minsu.next((f) => f.type === 'reaction' && f.added === false);
    yuki.send({ action: 'notice', roomId: room, text: 'be kind' });
    await yuki.next((f) => f.type === 'notice');
    yuki.send({ action: 'leave', roomId: room });
    await yuki.next((f) => f.type === 'left');
    await minsu.close();
    await yuki.close();

    const expected = [
      'seoul chat.member.joined minsu',
      'tokyo chat.member.joined yuki',
      'seoul chat.message.sent minsu',
      'tokyo chat.reply.sent yuki',
      'seoul chat.reaction.added minsu',
      'seoul chat.reaction.removed minsu',
      'tokyo chat.notice.pinned yuki',
      'tokyo chat.member.left yuki',
      'seoul chat.member.left minsu',
    ];
    const seen = async () =>
      (await page(`after=earliest&room=${room}`)).map(
        (l) => `${l.event.region} ${l.event.type} ${l.event.userId}`,
      );
    await eventually(async () => {
      const now = await seen();
      return expected.every((e) => now.includes(e));
    });
    // Every replicated copy has reached every region's stream by now: still each event once.
    await sandbox.replication.settle();
    await sandbox.replication.settle();
    expect((await seen()).sort()).toEqual([...expected].sort());

    const lines = await page(`after=earliest&room=${room}&type=chat.reply.sent`);
    expect(lines).toHaveLength(1);
    expect(lines[0].event).toMatchObject({
      text: 'hi back',
      parentId: first,
      messageId: reply,
      roomId: room,
    });
  });

  it('events: a consumer down, then back from its cursor, gets every event once, in order per room', async () => {
    const rooms = [`a-${Date.now()}`, `b-${Date.now()}`];
    const ana = await connect(url('seoul'), 'ana');
    const ben = await connect(url('na'), 'ben');
    for (const room of rooms) {
      await join(ana, room);
      await join(ben, room);
    }
    // The consumer follows, handles what it gets, and goes away.
    const got: Line[] = [];
    let cursor = 0;
    const follow = (after: number) => {
      const req = request(`${sandbox.edge}/_chatctl/events?after=${after}&type=chat.message.sent&follow=1`, {
        headers: { [CONTROL_SECRET_HEADER]: secret() },
      });
      let rest = '';
      req.on('response', (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          rest += chunk;
          const parts = rest.split('\n');
          rest = parts.pop() ?? '';
          for (const part of parts.filter(Boolean)) {
            const line = JSON.parse(part) as Line;
            if (rooms.includes(line.event.roomId)) got.push(line);
            cursor = line.seq;
          }
        });
      });
      req.on('error', () => {});
      req.end();
      return req;
    };
    const sent: Record<string, string[]> = { [rooms[0]]: [], [rooms[1]]: [] };
    // Without a cursor the bus answers nothing, and the cursor of now.
    const now = await fetch(`${sandbox.edge}/_chatctl/events`, {
      headers: { [CONTROL_SECRET_HEADER]: secret() },
    });
    let consumer = follow(Number(now.headers.get('x-chatctl-next')));
    for (let i = 0; i < 3; i++) {
      for (const room of rooms) sent[room].push(`up-${i}`);
      await send(ana, rooms[0], `up-${i}`);
      await send(ben, rooms[1], `up-${i}`);
    }
    await eventually(() => got.length === 6);
    consumer.destroy();
    const down = cursor;
    // While it is down: more messages, from both regions.
    for (let i = 0; i < 5; i++) {
      for (const room of rooms) sent[room].push(`down-${i}`);
      await send(ana, rooms[0], `down-${i}`);
      await send(ben, rooms[1], `down-${i}`);
    }
    await sandbox.replication.settle();
    consumer = follow(down);
    for (let i = 0; i < 2; i++) {
      for (const room of rooms) sent[room].push(`back-${i}`);
      await send(ana, rooms[0], `back-${i}`);
      await send(ben, rooms[1], `back-${i}`);
    }
    await eventually(() => got.length >= 20);
    await sandbox.replication.settle();
    consumer.destroy();
    expect(new Set(got.map((l) => l.event.id)).size).toBe(got.length);
    for (const room of rooms) {
      const texts = got.filter((l) => l.event.roomId === room).map((l) => (l.event as { text: string }).text);
      expect(texts, room).toEqual(sent[room]);
    }
    const seqs = got.map((l) => l.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    await ana.close();
    await ben.close();
  });

  it('events: the endpoint wants the secret and its own Host, and says what is wrong with a query', async () => {
    const bare = await fetch(`${sandbox.edge}/_chatctl/events`);
    expect(bare.status).toBe(403);
    const port = new URL(sandbox.edge).port;
    const foreign = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/_chatctl/events',
          headers: { host: `evil.example:${port}`, [CONTROL_SECRET_HEADER]: secret() },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(foreign).toBe(403);
    const bad = await fetch(`${sandbox.edge}/_chatctl/events?type=chat.message.deleted`, {
      headers: { [CONTROL_SECRET_HEADER]: secret() },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/unknown event type/);
  });
});
