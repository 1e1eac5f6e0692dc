import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  followLog,
  formatLogLine,
  logFilter,
  readRecentLines,
  regionFilter,
  sinceOf,
} from '../../cli/ops/sandbox/logs.js';
import { SANDBOX_DEV_TOKEN_SECRET } from '../../core/runtime-env.js';
import { defaultTopology } from '../../core/topology.js';
import { signDevToken } from '../../runtime/auth/dev-token.js';
import { ChatClient } from '../../runtime/chat-client/client.js';
import { edgeRequestLogger, openSandboxLog, type SandboxLogEvent } from '../../sandbox/log.js';
import { runRoutine } from '../../sandbox/routine.js';
import { CANARY } from '../../sandbox/services/canary/definition.js';
import { eventually } from '../support/eventually.js';
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

  it('sandbox log: level info leaves routine lines out and sums them up; a routine error and every other line are written; debug writes all', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatctl-log-'));
    const routineEdge = { ...edge(1), routine: true } as const;
    const events: SandboxLogEvent[] = [
      routineEdge,
      { ...routineEdge, status: 400, refused: 'ConditionalCheckFailedException' },
      {
        kind: 'handler',
        function: 'chat-tokyo-health',
        region: 'tokyo',
        route: 'GET /health',
        ms: 2,
        routine: true,
      },
      {
        kind: 'handler',
        function: 'chat-tokyo-send',
        region: 'tokyo',
        route: 'send',
        ms: 3,
        routine: true,
        error: 'boom',
      },
      { kind: 'replication', from: 'seoul', to: 'tokyo', items: 4, lagMs: 700, routine: 4 },
      { kind: 'replication', from: 'seoul', to: 'tokyo', items: 2, lagMs: 700, routine: 1 },
      edge(2),
    ];
    const info = join(dir, 'info.log');
    const infoLog = openSandboxLog(info);
    for (const event of events) infoLog.write(event);
    infoLog.close('stopped');
    const written = readRecentLines(info, 100);
    expect(written.map((l) => l.kind)).toEqual(['handler', 'replication', 'edge', 'sandbox', 'sandbox']);
    expect(written[0]).toMatchObject({ error: 'boom', routine: true });
    expect(written[1]).toMatchObject({ items: 2, routine: 1 });
    expect(written[3]).toMatchObject({
      message: expect.stringMatching(
        /^routine traffic in the last 1 min .*: 1 handler calls, 2 AWS requests \(1 refused as expected\), 4 items replicated$/,
      ),
    });
    const debug = join(dir, 'debug.log');
    const debugLog = openSandboxLog(debug, { level: 'debug' });
    for (const event of events) debugLog.write(event);
    debugLog.close();
    expect(readRecentLines(debug, 100)).toHaveLength(events.length);
  });

  it('sandbox log: a refusal the caller expects is logged as a refusal, any other error code as an error, and routine by its context', () => {
    const lines: SandboxLogEvent[] = [];
    const logger = edgeRequestLogger(
      () => [{ key: 'tokyo', awsRegion: 'ap-northeast-1' }],
      (e) => lines.push(e),
    );
    const request = { service: 'dynamodb', operation: 'PutItem', awsRegion: 'ap-northeast-1', ms: 1 };
    logger({ ...request, status: 400, code: 'ConditionalCheckFailedException' });
    logger({ ...request, status: 400, code: 'ValidationException' });
    runRoutine(true, () => logger({ ...request, status: 500 }));
    logger({ ...request, status: 200 });
    expect(lines).toEqual([
      { kind: 'edge', ...request, region: 'tokyo', status: 400, refused: 'ConditionalCheckFailedException' },
      { kind: 'edge', ...request, region: 'tokyo', status: 400, error: 'ValidationException' },
      { kind: 'edge', ...request, region: 'tokyo', status: 500, error: 'HTTP 500', routine: true },
      { kind: 'edge', ...request, region: 'tokyo', status: 200 },
    ]);
    const time = '2026-12-01T01:02:03.456Z';
    expect(formatLogLine({ time, ...(lines[0] as Extract<SandboxLogEvent, { kind: 'edge' }>) })).toBe(
      '01:02:03.456 edge         tokyo dynamodb PutItem 400 refused: ConditionalCheckFailedException 1.0 ms',
    );
    expect(formatLogLine({ time, ...(lines[2] as Extract<SandboxLogEvent, { kind: 'edge' }>) })).toBe(
      '01:02:03.456 edge         tokyo dynamodb PutItem 500 error: HTTP 500 1.0 ms (routine)',
    );
  });

  it('sandbox logs --since, --grep, --kind: one filter with the region filter, a duration or a time', () => {
    const now = Date.parse('2026-12-01T01:10:00.000Z');
    const lines = [
      { time: '2026-12-01T01:00:00.000Z', ...edge(1) },
      {
        time: '2026-12-01T01:09:00.000Z',
        kind: 'fault',
        action: 'injected',
        region: 'tokyo',
        fault: 'gateway-down',
      },
      { time: '2026-12-01T01:09:30.000Z', ...edge(2), status: 400, error: 'ValidationException' },
      { time: '2026-12-01T01:09:40.000Z', kind: 'sandbox', message: 'started' },
    ] as const;
    const since = sinceOf('5m', now);
    expect(since).toBe(Date.parse('2026-12-01T01:05:00.000Z'));
    expect(sinceOf('2026-12-01T01:09:35Z', now)).toBe(Date.parse('2026-12-01T01:09:35Z'));
    expect(sinceOf('yesterday', now)).toBeUndefined();
    const kept = (filter: Parameters<typeof logFilter>[0]) =>
      lines.filter(logFilter(filter)).map((l) => l.time.slice(11, 16));
    expect(kept({ sinceMs: since })).toEqual(['01:09', '01:09', '01:09']);
    expect(kept({ grep: 'validation' })).toEqual(['01:09']);
    expect(kept({ grep: 'GATEWAY-DOWN' })).toEqual(['01:09']);
    expect(kept({ kinds: ['edge'] })).toEqual(['01:00', '01:09']);
    expect(kept({ kinds: ['edge'], sinceMs: since, grep: 'putitem' })).toEqual(['01:09']);
    expect(
      kept({ region: { key: 'seoul', awsRegion: 'ap-northeast-2' }, kinds: ['edge', 'sandbox'] }),
    ).toEqual(['01:09']);
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

describe('sandbox log of an idle sandbox', { timeout: 120_000 }, () => {
  it("sandbox log: an idle sandbox's log does not grow per canary cycle at the default level, sums the routine traffic up, and still logs a user's chat", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatctl-log-'));
    const logPath = join(dir, 'sandbox.log');
    // Route 53's checkers every 500 ms and the canaries every second: what `sandbox up` runs, faster.
    const sandbox = await startTestSandbox({
      logPath,
      globalServices: true,
      healthCheckIntervalMs: 500,
      canary: { intervalMs: 1000 },
    });
    try {
      const cycles = async (n: number) => {
        const seen = new Set<string>();
        await eventually(
          () => {
            const at = sandbox.service(CANARY)?.last('seoul')?.at;
            if (at) seen.add(at);
            return seen.size > n;
          },
          60_000,
          100,
        );
      };
      await cycles(1);
      sandbox.flushLog();
      const before = readFileSync(logPath, 'utf8').length;
      await cycles(3);
      sandbox.flushLog();
      const grown = readFileSync(logPath, 'utf8').slice(before);
      // Three canary cycles in every region, a dozen health checks: not one line.
      expect(grown, grown.slice(0, 3000)).toBe('');
      expect(sandbox.service(CANARY)?.last('seoul')?.ok).toBe(true);
      // A user's chat is no routine traffic: its lines are there.
      const url = sandbox.regions.get('seoul')?.websocketUrl ?? '';
      const token = signDevToken({ userId: 'ana', ttlSeconds: 600, secret: SANDBOX_DEV_TOKEN_SECRET });
      const client = await ChatClient.connect({ url, token });
      await client.join('logged');
      await client.send('logged', 'hello log');
      await client.close();
    } finally {
      await sandbox.stop();
    }
    const lines = readRecentLines(logPath, 100_000);
    expect(lines).toContainEqual(expect.objectContaining({ kind: 'handler', function: 'chat-seoul-send' }));
    expect(lines.filter((l) => 'routine' in l && l.routine === true && !('error' in l && l.error))).toEqual(
      [],
    );
    const summary = lines.find((l) => l.kind === 'sandbox' && l.message.startsWith('routine traffic'));
    expect(summary?.kind === 'sandbox' && summary.message).toMatch(
      /: [1-9]\d* handler calls, [1-9]\d* AWS requests/,
    );
  });

  it('sandbox log: sandbox.log in chatctl.json sets the level (debug writes routine lines) and the rotation size', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatctl-log-'));
    const logPath = join(dir, 'sandbox.log');
    const topology = defaultTopology();
    const sandbox = await startTestSandbox(
      { logPath, globalServices: true, healthCheckIntervalMs: 500, canary: { intervalMs: 1000 } },
      { ...topology, sandbox: { ...topology.sandbox, log: { level: 'debug', maxMiB: 0.1 } } },
    );
    try {
      await eventually(
        () => {
          sandbox.flushLog();
          return existsSync(`${logPath}.1`);
        },
        60_000,
        200,
      );
    } finally {
      await sandbox.stop();
    }
    expect(readFileSync(`${logPath}.1`, 'utf8').length).toBeLessThanOrEqual(0.1 * 2 ** 20);
    const lines = readRecentLines(logPath, 100_000);
    expect(lines).toContainEqual(
      expect.objectContaining({ kind: 'handler', route: 'GET /health', routine: true }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ kind: 'handler', route: '$connect', routine: true }),
    );
  });
});
