import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChatClient } from '../../cli/ops/chat/client.js';
import { followLog, formatLogLine, readRecentLines, regionFilter } from '../../cli/ops/sandbox/logs.js';
import { SANDBOX_DEV_TOKEN_SECRET } from '../../core/runtime-env.js';
import { signDevToken } from '../../runtime/auth/dev-token.js';
import { openSandboxLog } from '../../sandbox/log.js';
import { startTestSandbox } from './support.js';

const edge = (n: number) =>
  ({
    kind: 'edge',
    service: 'dynamodb',
    operation: 'PutItem',
    awsRegion: 'ap-northeast-1',
    region: 'tokyo',
    status: 200,
    ms: n,
  }) as const;

describe('sandbox log', () => {
  it('sandbox log: one JSON line per event, rotated to .1 at the size bound so at most twice it stays', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatctl-log-'));
    const path = join(dir, 'sandbox.log');
    const log = openSandboxLog(path, { maxBytes: 2000 });
    for (let i = 0; i < 100; i++) log.write(edge(i));
    log.close();
    const current = readFileSync(path, 'utf8');
    expect(current.length).toBeLessThanOrEqual(2000);
    expect(readFileSync(`${path}.1`, 'utf8').length).toBeLessThanOrEqual(2000);
    const last = current
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(last.at(-1)).toMatchObject({ kind: 'edge', ms: 99, time: expect.stringMatching(/^\d{4}-/) });
    // The recent lines come from the rotated file and the current one, in order, newest last.
    const inCurrent = last.length;
    expect(inCurrent).toBeLessThan(10);
    const ms = (lines: ReturnType<typeof readRecentLines>) =>
      lines.map((l) => (l.kind === 'edge' ? l.ms : -1));
    expect(ms(readRecentLines(path, 10))).toEqual(Array.from({ length: 10 }, (_, i) => 90 + i));
    const all = ms(readRecentLines(path, 1000));
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => 100 - all.length + i));
    expect(existsSync(`${path}.2`)).toBe(false);
  });

  it('sandbox logs: the region filter and the human format of each kind', () => {
    const keep = regionFilter('tokyo', 'ap-northeast-1');
    const lines = [
      { time: '2026-12-01T01:02:03.456Z', ...edge(3.14) },
      {
        time: '2026-12-01T01:02:03.500Z',
        kind: 'handler',
        function: 'chat-seoul-send',
        region: 'seoul',
        route: 'send',
        ms: 12,
        error: 'boom',
      },
      {
        time: '2026-12-01T01:02:03.600Z',
        kind: 'fault',
        action: 'injected',
        region: 'tokyo',
        fault: 'gateway-down',
      },
      {
        time: '2026-12-01T01:02:03.700Z',
        kind: 'replication',
        from: 'seoul',
        to: 'tokyo',
        items: 3,
        lagMs: 35.2,
      },
    ] as const;
    expect(lines.filter(keep).map((l) => l.kind)).toEqual(['edge', 'fault', 'replication']);
    expect(lines.map(formatLogLine)).toEqual([
      '01:02:03.456 edge         tokyo dynamodb PutItem 200 3.1 ms',
      '01:02:03.500 handler      seoul chat-seoul-send send 12.0 ms error: boom',
      '01:02:03.600 fault        tokyo injected gateway-down',
      '01:02:03.700 replication  seoul -> tokyo 3 items, lag 35 ms',
    ]);
  });

  it('sandbox logs -f: prints lines written after it starts, across a rotation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatctl-log-'));
    const path = join(dir, 'sandbox.log');
    const log = openSandboxLog(path, { maxBytes: 1500, flushMs: 10 });
    log.write(edge(-1));
    log.flush();
    const seen: number[] = [];
    const stop = new AbortController();
    const following = followLog(path, (l) => l.kind === 'edge' && seen.push(l.ms), stop.signal, 20);
    for (let i = 0; i < 30; i++) {
      log.write(edge(i));
      log.flush();
      await new Promise((r) => setTimeout(r, 25));
    }
    await expect.poll(() => seen.at(-1), { timeout: 5000 }).toBe(29);
    stop.abort();
    await following;
    log.close();
    expect(existsSync(`${path}.1`)).toBe(true);
    expect(seen).not.toContain(-1);
    // Polling can miss the tail of a file in the moment it rotates, but never repeats or reorders a line.
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(20);
  });
});

describe('sandbox log from a running sandbox', () => {
  it('sandbox log: lines for edge requests, handler invocations, faults and replication batches', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatctl-log-'));
    const logPath = join(dir, 'sandbox.log');
    const sandbox = await startTestSandbox({ logPath });
    try {
      const url = sandbox.regions.get('seoul')?.websocketUrl ?? '';
      const token = signDevToken({ userId: 'ana', ttlSeconds: 600, secret: SANDBOX_DEV_TOKEN_SECRET });
      const client = await ChatClient.connect({ url, token });
      await client.join('logged');
      await client.send('logged', 'hello log');
      await sandbox.replication.settle(10_000);
      sandbox.faults.inject('tokyo', 'relay-error');
      sandbox.faults.heal('tokyo');
      await client.close();
    } finally {
      await sandbox.stop();
    }
    const lines = readRecentLines(logPath, 10_000);
    expect(lines[0]).toMatchObject({
      kind: 'sandbox',
      message: expect.stringMatching(/^started: 3 regions/),
    });
    expect(lines.at(-1)).toMatchObject({ kind: 'sandbox', message: 'stopped' });
    expect(lines).toContainEqual(
      expect.objectContaining({
        kind: 'edge',
        service: 'dynamodb',
        operation: 'TransactWriteItems',
        awsRegion: 'ap-northeast-2',
        region: 'seoul',
        caller: 'seoul',
        status: 200,
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({
        kind: 'handler',
        function: 'chat-seoul-send',
        region: 'seoul',
        route: 'send',
      }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ kind: 'handler', route: '$connect' }));
    expect(lines).toContainEqual(
      expect.objectContaining({ kind: 'fault', action: 'injected', region: 'tokyo', fault: 'relay-error' }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ kind: 'fault', action: 'healed', region: 'tokyo', fault: 'relay-error' }),
    );
    const batches = lines.filter((l) => l.kind === 'replication');
    expect(batches.map((b) => b.kind === 'replication' && `${b.from}->${b.to}`)).toEqual(
      expect.arrayContaining(['seoul->tokyo', 'seoul->na']),
    );
    for (const b of batches) if (b.kind === 'replication') expect(b.items).toBeGreaterThan(0);
    const handlerMs = lines.flatMap((l) => (l.kind === 'handler' ? [l.ms] : []));
    expect(handlerMs.every((ms) => ms >= 0)).toBe(true);
  });
});
