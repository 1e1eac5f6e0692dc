import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chatBothWays } from '../../../../cli/ops/chat/probe.js';
import { chinaStatus, chinaTest } from '../../../../cli/ops/checks/china.js';
import { abortDrill } from '../../../../cli/ops/drill/abort.js';
import { readJournal } from '../../../../cli/ops/drill/journal.js';
import { runFailoverDrill } from '../../../../cli/ops/drill/run.js';
import { drillStatus } from '../../../../cli/ops/drill/status.js';
import { moveChinaOrigin } from '../../../../cli/ops/routing/china-origin.js';
import { drainRegion } from '../../../../cli/ops/routing/drain.js';
import type { Target } from '../../../../cli/ops/target.js';
import type { Sandbox } from '../../../../sandbox/index.js';
import {
  resetRouting,
  routingSnapshot,
  startDrillSandbox,
  DRILL_DNS_TTL_SECONDS as TTL_SECONDS,
  waitAllHealthy,
  whereUsersGo,
} from './support.js';

let sandbox: Sandbox;
let target: Target;
let dir: string;

beforeAll(async () => {
  ({ sandbox, target } = await startDrillSandbox());
  dir = await mkdtemp(join(tmpdir(), 'chatctl-drill-'));
});
afterAll(async () => {
  await sandbox?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await resetRouting(target);
});

describe('failover drill against the sandbox', { timeout: 90_000 }, () => {
  it('drill: a full drill passes and its JSON has every step with times', async () => {
    const result = await runFailoverDrill(target, {
      region: 'tokyo',
      holdMs: 300,
      dir,
      healthTimeoutMs: 8000,
      reportFile: join(dir, 'report.md'),
    });
    expect(result.verdict, JSON.stringify(result.steps, null, 1)).toBe('passed');
    const ran = result.steps.filter((s) => s.status !== 'skipped').map((s) => s.name);
    expect(ran).toEqual([
      'preflight',
      'drain',
      'verify-dns',
      'verify-chat',
      'hold',
      'verify-client-moved',
      'restore',
      'verify-replication',
    ]);
    for (const step of result.steps.filter((s) => s.status === 'passed')) {
      expect(Date.parse(step.endedAt!)).toBeGreaterThanOrEqual(Date.parse(step.startedAt!));
    }
    expect(result.timeToShiftMs).toBeGreaterThanOrEqual(0);
    // A client that honours the TTL moves at most a TTL after the answer did: the bound, computed.
    expect(result.dnsTtlSeconds).toBe(TTL_SECONDS);
    expect(result.clientMoveBoundMs).toBe((result.timeToShiftMs ?? 0) + TTL_SECONDS * 1000);
    // Observed: a client reconnecting by the global name landed where DNS sent the region's users, not before
    // the answer it held at the drain expired, and within the bound (plus one reconnect and its connect).
    const moved = result.steps.find((s) => s.name === 'verify-client-moved')?.detail ?? '';
    const expiredAt = Number(/expired at (-?\d+) ms/.exec(moved)?.[1]);
    expect(result.clientMovedTo).toBe(result.shiftedTo);
    expect(Number.isFinite(expiredAt)).toBe(true);
    expect(result.timeToClientMovedMs).toBeGreaterThanOrEqual(expiredAt);
    expect(result.timeToClientMovedMs).toBeLessThanOrEqual((result.clientMoveBoundMs ?? 0) + 3000);
    // It asked DNS again once the answer it held expired: once before the drain, at least once after.
    expect(Number(/(\d+) DNS answers/.exec(moved)?.[1])).toBeGreaterThanOrEqual(2);
    expect(result.timeToRestoreMs).toBeGreaterThanOrEqual(0);
    expect(result.shiftedTo).not.toBe('tokyo');
    expect(await whereUsersGo(target, 'tokyo')).toBe('tokyo');
    const json = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
    expect(json).toMatchObject({ id: result.id, region: 'tokyo', verdict: 'passed' });
    const markdown = await readFile(join(dir, 'report.md'), 'utf8');
    expect(markdown).toMatch(/\| 5 \| verify-chat \| passed \|/);
    expect(markdown).toMatch(
      new RegExp(
        `Time until a client honouring the ${TTL_SECONDS} s TTL had moved: \\d.* observed \\(to \\w+\\); at most \\d`,
      ),
    );
    expect((await readJournal(dir, result.id))?.state).toBe('finished');
  });

  it('drill: a client that lands in the new region later than time to shift + TTL fails the drill, naming the overrun', async () => {
    // From the drain on, every region the users can go to answers 1.5 s late (a latency fault on its gateway:
    // the connect and the ping each): the moving client's answer expires within the 2 s TTL, but it lands 3 s
    // after that, past the bound by more than the drill's 1 s of slack. (/health stays within its checkers' time.)
    const slowed: string[] = [];
    try {
      const result = await runFailoverDrill(target, {
        region: 'tokyo',
        holdMs: 0,
        dir,
        healthTimeoutMs: 8000,
        onChange: (journal) => {
          if (!journal.changes.drained || slowed.length > 0) return;
          for (const key of ['seoul', 'na']) {
            sandbox.faults.inject(key, 'latency=1500');
            slowed.push(key);
          }
        },
      });
      expect(slowed).toEqual(['seoul', 'na']);
      expect(result.verdict).toBe('failed');
      const moved = result.steps.find((s) => s.name === 'verify-client-moved');
      expect(moved?.status).toBe('failed');
      expect(moved?.detail).toMatch(/moved \d+ ms after the drain, \d+ ms past its bound of \d+ ms/);
      expect(result.timeToClientMovedMs).toBeGreaterThan((result.clientMoveBoundMs ?? 0) + 1000);
      // A failed drill still restores the region.
      expect(result.steps.find((s) => s.name === 'restore')?.status).toBe('passed');
    } finally {
      for (const key of slowed) sandbox.faults.heal(key);
      await waitAllHealthy(target, 60_000);
    }
  });

  it('drill: --dry-run leaves record sets and health checks byte-identical', async () => {
    const before = await routingSnapshot(target);
    const result = await runFailoverDrill(target, {
      region: 'na',
      dryRun: true,
      holdMs: 1000,
      dir,
      healthTimeoutMs: 8000,
    });
    expect(result.verdict).toBe('passed');
    expect(result.steps[0]).toMatchObject({ name: 'preflight', status: 'passed' });
    expect(result.steps.slice(1).every((s) => s.status === 'skipped')).toBe(true);
    expect(await routingSnapshot(target)).toBe(before);
  });

  it('drill: the China origin is refused without --move-china-origin, before anything changes', async () => {
    const before = await routingSnapshot(target);
    const result = await runFailoverDrill(target, { region: 'seoul', holdMs: 0, dir, healthTimeoutMs: 8000 });
    expect(result.verdict).toBe('failed');
    expect(result.steps[0].detail).toMatch(/--move-china-origin/);
    expect(await routingSnapshot(target)).toBe(before);
  });

  it('drill: with --move-china-origin, China clients keep chatting and the origin comes back', async () => {
    const url = target.chinaProxyUrl(undefined) ?? '';
    let chattedDuringHold: Awaited<ReturnType<typeof chatBothWays>> | undefined;
    let holdOrigin: string | undefined;
    const drill = runFailoverDrill(target, {
      region: 'seoul',
      holdMs: 2500,
      moveChinaOrigin: true,
      dir,
      healthTimeoutMs: 8000,
      onStart: (journal) => {
        const poll = setInterval(async () => {
          const now = await readJournal(dir, journal.id);
          if (now?.steps.find((s) => s.name === 'hold')?.status !== 'running' || chattedDuringHold) return;
          clearInterval(poll);
          holdOrigin = (await chinaStatus(target)).origin;
          chattedDuringHold = await chatBothWays(target, url, target.region('na').websocketUrl, {
            timeoutMs: 5000,
          });
        }, 100);
        setTimeout(() => clearInterval(poll), 20_000).unref();
      },
    });
    const result = await drill;
    expect(result.verdict, JSON.stringify(result.steps, null, 1)).toBe('passed');
    expect(result.steps.find((s) => s.name === 'move-china-origin')?.status).toBe('passed');
    expect(result.steps.find((s) => s.name === 'restore-china-origin')?.status).toBe('passed');
    expect(holdOrigin).not.toBe('seoul');
    expect(chattedDuringHold?.aToBMs).toBeGreaterThan(0);
    expect((await chinaStatus(target)).origin).toBe('seoul');
  });

  it('drill abort: restores a drill whose process is gone, from its journal', async () => {
    const { writeJournal } = await import('../../../../cli/ops/drill/journal.js');
    await drainRegion(target, 'na', { verify: false });
    const { hostname } = await import('node:os');
    await writeJournal(dir, {
      id: 'zz-crashed',
      kind: 'failover',
      region: 'na',
      target: 'sandbox',
      pid: 2 ** 22 + 777,
      host: hostname(),
      startedAt: new Date().toISOString(),
      dryRun: false,
      holdMs: 1000,
      state: 'running',
      changes: { drained: true, restored: false },
      steps: [{ name: 'hold', title: 'Hold', status: 'running', startedAt: new Date().toISOString() }],
    });
    expect((await drillStatus({ dir })).unfinished.map((d) => d.pending)).toEqual([['na drained']]);
    const aborted = await abortDrill(target, { dir });
    expect(aborted).toMatchObject({ id: 'zz-crashed', how: 'restored', restored: ['na drained'] });
    expect(await whereUsersGo(target, 'na')).toBe('na');
    expect((await drillStatus({ dir })).unfinished).toEqual([]);
    expect((await readJournal(dir, 'zz-crashed'))?.verdict).toBe('aborted');
  });
});

describe('China proxy against the sandbox', { timeout: 90_000 }, () => {
  it('china: status names the origin, test chats through the proxy, origin moves and records it in chatctl.json', async () => {
    const status = await chinaStatus(target);
    expect(status).toMatchObject({ origin: 'seoul', configuredOrigin: 'seoul', enabled: true });
    expect(status.url).toBe(target.sandbox?.china?.url);
    const test = await chinaTest(target, { pings: 3 });
    expect(test.answeredBy).toMatch(/^(seoul|ap-northeast-2)$/);
    expect(test.chat.aToBMs).toBeGreaterThan(0);
    expect(test.chat.bToAMs).toBeGreaterThan(0);

    const { serializeTopology } = await import('../../../../core/topology.js');
    const { writeFile, readFile: read } = await import('node:fs/promises');
    const path = join(dir, 'chatctl.json');
    await writeFile(path, serializeTopology(target.topology));
    const moved = await moveChinaOrigin(target, 'na', { topologyPath: path });
    expect(moved).toMatchObject({ from: 'seoul', to: 'na', changed: true, topologyUpdated: true });
    expect(moved.servedAfterMs).toBeGreaterThanOrEqual(0);
    expect((await chinaStatus(target)).origin).toBe('na');
    expect(JSON.parse(await read(path, 'utf8')).china.originRegion).toBe('na');
    const again = await moveChinaOrigin(target, 'na', { wait: false });
    expect(again.changed).toBe(false);
  });
});
