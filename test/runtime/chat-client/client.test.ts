// ChatClient against a started sandbox (real gateway and runtime), plus a silent server for timeouts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { SANDBOX_DEV_TOKEN_SECRET } from '../../../core/runtime-env.js';
import { signDevToken } from '../../../runtime/auth/dev-token.js';
import { ChatClient } from '../../../runtime/chat-client/client.js';
import { GAP_WAIT_MS } from '../../../runtime/chat-client/rooms.js';
import { ChatClientError } from '../../../runtime/chat-client/socket.js';
import type { Sandbox } from '../../../sandbox/index.js';
import { startTestSandbox } from '../../sandbox/support.js';
import { eventually } from '../../support/eventually.js';

let sandbox: Sandbox;
let silent: Server;
let silentUrl: string;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  // Accepts WebSockets and never answers a frame.
  silent = createServer();
  const wss = new WebSocketServer({ server: silent });
  wss.on('connection', () => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentUrl = `ws://127.0.0.1:${(silent.address() as AddressInfo).port}/prod`;
});

afterAll(async () => {
  silent?.closeAllConnections();
  await new Promise((r) => silent?.close(r));
  await sandbox?.stop();
});

const seoul = () => sandbox.regions.get('seoul')?.websocketUrl ?? '';
const token = (userId: string) => signDevToken({ userId, ttlSeconds: 600, secret: SANDBOX_DEV_TOKEN_SECRET });

describe('ChatClient', { timeout: 90_000 }, () => {
  it('ChatClient: join, send, reply, react, notice and ping resolve with their answer frames', async () => {
    const room = `cc-${Date.now()}`;
    const client = await ChatClient.connect({ url: seoul(), token: token('ann'), timeoutMs: 30_000 });
    try {
      const joined = await client.join(room);
      expect(joined).toMatchObject({ type: 'joined', roomId: room, history: [], notice: null });
      const ack = await client.send(room, 'first', { clientMsgId: 'fixed-1' });
      expect(ack).toMatchObject({ type: 'ack', clientMsgId: 'fixed-1', duplicate: false });
      const retry = await client.send(room, 'first', { clientMsgId: 'fixed-1' });
      expect(retry).toMatchObject({ messageId: ack.messageId, duplicate: true });
      const reply = await client.reply(room, ack.messageId, 'second');
      expect(reply.messageId).not.toBe(ack.messageId);
      const reaction = await client.react(room, ack.messageId, '🎉');
      expect(reaction).toMatchObject({ type: 'reaction', userId: 'ann', added: true });
      expect(await client.react(room, ack.messageId, '🎉', false)).toMatchObject({ added: false });
      expect((await client.notice(room, 'read the rules')).notice).toMatchObject({
        userId: 'ann',
        text: 'read the rules',
      });
      const pong = await client.ping();
      expect(pong.region).toBe('seoul');
      expect(pong.rttMs).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it('ChatClient: history pages back with the cursor until there is none', async () => {
    const room = `cc-h-${Date.now()}`;
    const client = await ChatClient.connect({ url: seoul(), token: token('ben'), timeoutMs: 30_000 });
    try {
      await client.join(room);
      for (const text of ['one', 'two', 'three']) await client.send(room, text);
      const first = await client.history(room, { limit: 2 });
      expect(first.messages.map((m) => m.text)).toEqual(['two', 'three']);
      expect(first.cursor).toBeTruthy();
      const second = await client.history(room, { limit: 2, before: first.cursor ?? undefined });
      expect(second.messages.map((m) => m.text)).toEqual(['one']);
      expect(second.cursor).toBeNull();
    } finally {
      await client.close();
    }
  });

  it('ChatClient: sends made without waiting for acks arrive at another member in the order sent', async () => {
    const room = `cc-o-${Date.now()}`;
    const fast = await ChatClient.connect({ url: seoul(), token: token('fay'), timeoutMs: 30_000 });
    const reader = await ChatClient.connect({ url: seoul(), token: token('rex'), timeoutMs: 30_000 });
    try {
      await fast.join(room);
      await reader.join(room);
      const texts: string[] = [];
      reader.onFrame((f) => {
        if (f.type === 'message' && f.message.roomId === room) texts.push(f.message.text);
      });
      const sends = Array.from({ length: 15 }, (_, i) => fast.send(room, `m${i}`));
      await Promise.all(sends);
      await reader.waitFor((f) => f.type === 'message' && f.message.text === 'm14', 20_000).catch(() => {});
      await new Promise((r) => setTimeout(r, 200));
      expect(texts).toEqual(Array.from({ length: 15 }, (_, i) => `m${i}`));
    } finally {
      await fast.close();
      await reader.close();
    }
  });

  it('ChatClient: of two sends in flight, the refused one (its error frame names it) rejects and the other resolves', async () => {
    const room = `cc-e-${Date.now()}`;
    const client = await ChatClient.connect({ url: seoul(), token: token('eve'), timeoutMs: 30_000 });
    try {
      await client.join(room);
      // One tick: both go out at once, the first with more; the second names a parent that does not exist.
      const first = client.send(room, 'fine');
      const second = client.send(room, 'orphan', { parentId: '01JZZZZZZZZZZZZZZZZZZZZZZZ' });
      await expect(second).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(first).resolves.toMatchObject({ type: 'ack', duplicate: false });
      expect(client.isOpen).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('ChatClient: sends made one tick apart without waiting for acks arrive in order in another region', async () => {
    const room = `cc-t-${Date.now()}`;
    const fast = await ChatClient.connect({ url: seoul(), token: token('tia'), timeoutMs: 30_000 });
    const far = await ChatClient.connect({
      url: sandbox.regions.get('tokyo')?.websocketUrl ?? '',
      token: token('tom'),
      timeoutMs: 30_000,
    });
    try {
      await fast.join(room);
      await far.join(room);
      const texts: string[] = [];
      far.onFrame((f) => {
        if (f.type === 'message' && f.message.roomId === room) texts.push(f.message.text);
      });
      // As lines piped into `chatctl chat` come: each in a tick of its own, none waiting for an ack.
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < 12; i++) {
        sends.push(fast.send(room, `t${i}`));
        await new Promise((r) => setImmediate(r));
      }
      await Promise.all(sends);
      if (!texts.includes('t11')) {
        await far.waitFor((f) => f.type === 'message' && f.message.text === 't11', 20_000).catch(() => {});
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(texts).toEqual(Array.from({ length: 12 }, (_, i) => `t${i}`));
    } finally {
      await fast.close();
      await far.close();
    }
  });

  it('ChatClient: a push whose prevId it has not seen (its relay lost to a fault) is noticed, and the gap is filled from history', async () => {
    const room = `cc-g-${Date.now()}`;
    const na = sandbox.regions.get('na')?.websocketUrl ?? '';
    const listener = await ChatClient.connect({ url: na, token: token('lis'), timeoutMs: 30_000 });
    const talker = await ChatClient.connect({ url: seoul(), token: token('tal'), timeoutMs: 30_000 });
    // The injected relay fault logs its failed relay: read that line rather than print it.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      await listener.join(room);
      await talker.join(room);
      await sandbox.replication.settle();
      const gaps: string[][] = [];
      listener.onGapFilled((r, messages) => {
        if (r === room) gaps.push(messages.map((m) => m.text));
      });
      const first = listener.waitFor((f) => f.type === 'message' && f.message.text === 'one', 10_000);
      await talker.send(room, 'one');
      await first;
      sandbox.faults.inject('na', 'relay-error');
      await talker.send(room, 'lost');
      // The relay's Invoke is retried by the SDK: heal only once those retries are spent.
      await new Promise((r) => setTimeout(r, 2000));
      sandbox.faults.heal('na', 'relay-error');
      await sandbox.replication.settle();
      await talker.send(room, 'three');
      for (let i = 0; i < 100 && gaps.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(gaps).toEqual([['lost']]);
      expect(warn.mock.calls.map(([line]) => String(line))).toContainEqual(
        expect.stringMatching(/^relay to na failed/),
      );
    } finally {
      warn.mockRestore();
      await listener.close();
      await talker.close();
    }
  });

  it('ChatClient: a lost relay followed at once by the next message: the gap is read again with backoff until replication brings it', async () => {
    const room = `cc-gw-${Date.now()}`;
    const na = sandbox.regions.get('na')?.websocketUrl ?? '';
    const listener = await ChatClient.connect({ url: na, token: token('lis2'), timeoutMs: 30_000 });
    const talker = await ChatClient.connect({ url: seoul(), token: token('tal2'), timeoutMs: 30_000 });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const reads = vi.spyOn(listener, 'history');
    try {
      await listener.join(room);
      await talker.join(room);
      await sandbox.replication.settle();
      const gaps: { texts: string[]; stillMissing?: string }[] = [];
      listener.onGapFilled((r, messages, stillMissing) => {
        if (r === room) gaps.push({ texts: messages.map((m) => m.text), stillMissing });
      });
      // na's replica lags behind (paused): its history has no X when the next message names it.
      sandbox.replication.pause('na');
      sandbox.faults.inject('na', 'relay-error');
      await talker.send(room, 'X');
      // Lost for good: the push and, after the ack, its hand-over to na's async queue both failed.
      const relayFailures = () =>
        warn.mock.calls.filter(([line]) => /^relay to na failed/.test(String(line))).length;
      await eventually(() => relayFailures() >= 2, 10_000);
      sandbox.faults.heal('na', 'relay-error');
      const next = listener.waitFor((f) => f.type === 'message' && f.message.text === 'Y', 10_000);
      await talker.send(room, 'Y');
      await next;
      // The first read found nothing; replication resumes only after it.
      await eventually(() => reads.mock.calls.length > 0, 10_000);
      sandbox.replication.resume('na');
      await eventually(() => gaps.length > 0, 15_000);
      expect(gaps).toEqual([{ texts: ['X'], stillMissing: undefined }]);
    } finally {
      sandbox.replication.resume('na');
      warn.mockRestore();
      await listener.close();
      await talker.close();
    }
  });

  it('ChatClient: a lost relay while the region reports a replication lag past 8 s: the gap is waited for twice the lag, and filled once replication brings it', async () => {
    const room = `cc-gl-${Date.now()}`;
    const tokyo = sandbox.regions.get('tokyo')?.websocketUrl ?? '';
    const listener = await ChatClient.connect({ url: tokyo, token: token('lis3'), timeoutMs: 30_000 });
    const talker = await ChatClient.connect({ url: seoul(), token: token('tal3'), timeoutMs: 30_000 });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      await listener.join(room);
      // Tokyo's replica falls behind: the talker's join (and all after it) reach it only on resume.
      sandbox.replication.pause('tokyo');
      await talker.join(room);
      // The region reports its lag (its surge controller measures it) once it is past the 8 s gap bound.
      await eventually(
        async () => ((await listener.history(room, {})).replicationLagMs ?? 0) > GAP_WAIT_MS,
        30_000,
        500,
      );
      const gaps: { texts: string[]; stillMissing?: string }[] = [];
      listener.onGapFilled((r, messages, stillMissing) => {
        if (r === room) gaps.push({ texts: messages.map((m) => m.text), stillMissing });
      });
      sandbox.faults.inject('tokyo', 'relay-error');
      await talker.send(room, 'X');
      const relayFailures = () =>
        warn.mock.calls.filter(([line]) => /^relay to tokyo failed/.test(String(line))).length;
      await eventually(() => relayFailures() >= 2, 10_000);
      sandbox.faults.heal('tokyo', 'relay-error');
      const reads: number[] = [];
      listener.onFrame((f) => {
        if (f.type === 'history' && f.roomId === room) reads.push(Date.now());
      });
      const next = listener.waitFor((f) => f.type === 'message' && f.message.text === 'Y', 10_000);
      await talker.send(room, 'Y');
      await next;
      // Still reading the gap past where the 8 s bound alone gave up; only then does X replicate.
      await eventually(() => reads.length > 1 && reads.at(-1)! - reads[0] > GAP_WAIT_MS + 2000, 40_000);
      expect(gaps).toEqual([]);
      sandbox.replication.resume('tokyo');
      await eventually(() => gaps.length > 0, 40_000);
      expect(gaps).toEqual([{ texts: ['X'], stillMissing: undefined }]);
    } finally {
      sandbox.replication.resume('tokyo');
      warn.mockRestore();
      await listener.close();
      await talker.close();
    }
  }, 150_000);

  it('ChatClient: an error frame rejects the request of its action with the server code, and the connection stays open', async () => {
    const client = await ChatClient.connect({ url: seoul(), token: token('cat'), timeoutMs: 30_000 });
    try {
      const error = await client.send('not-joined', 'hello').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ChatClientError);
      expect(error).toMatchObject({ code: 'NOT_MEMBER', frame: { type: 'error', action: 'send' } });
      await expect(client.join('bad room id!')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      expect(client.isOpen).toBe(true);
      expect((await client.ping()).region).toBe('seoul');
    } finally {
      await client.close();
    }
  });

  it('ChatClient: an error frame naming a clientMsgId rejects that send, not the oldest one in flight', async () => {
    // A scripted server answers the second of two sends first, with its error, then acks the first.
    const server = createServer();
    const wss = new WebSocketServer({ server });
    wss.on('connection', (ws) => {
      const sends: { clientMsgId: string }[] = [];
      ws.on('message', (data) => {
        sends.push(JSON.parse(String(data)));
        if (sends.length < 2) return;
        const [first, second] = sends;
        ws.send(
          JSON.stringify({
            type: 'error',
            code: 'NOT_FOUND',
            message: 'no such parent',
            action: 'send',
            clientMsgId: second.clientMsgId,
          }),
        );
        ws.send(
          JSON.stringify({ type: 'ack', clientMsgId: first.clientMsgId, messageId: 'm1', duplicate: false }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/prod`;
    const client = await ChatClient.connect({ url, token: token('x'), timeoutMs: 5_000 });
    try {
      const first = client.send('r', 'fine');
      const second = client.send('r', 'orphan');
      await expect(second).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(first).resolves.toMatchObject({ type: 'ack', messageId: 'm1' });
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('ChatClient: a refused token, a closed port and a silent server fail with REFUSED, CONNECT and TIMEOUT', async () => {
    const refused = await ChatClient.connect({ url: seoul(), token: 'v1.bad.token' }).catch(
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ code: 'REFUSED' });
    expect([401, 403]).toContain((refused as ChatClientError).status);

    const closedPort = await ChatClient.connect({
      url: 'ws://127.0.0.1:1/prod',
      token: token('x'),
      timeoutMs: 30_000,
    }).catch((e: unknown) => e);
    expect(closedPort).toMatchObject({
      code: 'CONNECT',
      message: expect.stringContaining('connection refused'),
    });

    const quiet = await ChatClient.connect({ url: silentUrl, token: token('x'), timeoutMs: 300 });
    try {
      await expect(quiet.ping()).rejects.toMatchObject({
        code: 'TIMEOUT',
        message: 'no answer to ping within 300 ms',
      });
      await expect(quiet.waitFor((f) => f.type === 'notice', 100, 'a notice')).rejects.toMatchObject({
        code: 'TIMEOUT',
      });
    } finally {
      await quiet.close();
    }
  });

  it('ChatClient: close rejects pending requests with CLOSED and resolves once closed', async () => {
    const client = await ChatClient.connect({ url: silentUrl, token: token('y'), timeoutMs: 30_000 });
    const pending = client.ping();
    await client.close();
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' });
    expect(client.isOpen).toBe(false);
    expect((await client.closed).code).toBe(1000);
    await expect(client.join('r')).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
