// The surge controller run in-process by the sandbox, on the sandbox's own handler counters: a burst of slow
// requests fills a small lane, auto raises the level (and the handlers shed), the burst ends, and auto lowers
// it back to 0 step by step after each cool-down. Lanes are enforced: pings beyond the lane are throttled, and
// the controller reads those throttles too. Each region's controller also stores the replication lag into its
// region, which the joined frame reports.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { control } from '../../../../cli/ops/sandbox/control.js';
import { sandboxTarget, type Target } from '../../../../cli/ops/target.js';
import { setTrafficAuto, trafficStatus } from '../../../../cli/ops/traffic/index.js';
import type { LoadLevel } from '../../../../core/protocol.js';
import { defaultTopology } from '../../../../core/topology.js';
import { createChatApp, type WebSocketEvent } from '../../../../runtime/app.js';
import { ChatClient } from '../../../../runtime/chat-client/client.js';
import type { Sandbox } from '../../../../sandbox/index.js';
import { RegionLanes } from '../../../../sandbox/lanes.js';
import { eventually } from '../../../support/eventually.js';
import { startTestSandbox } from '../../support.js';
import { connect } from '../../ws-client.js';

let sandbox: Sandbox;
let target: Target;
const PING_MS = 300;

beforeAll(async () => {
  // A lane of 2 for ping, and pings that take 300 ms: four at once fill it twice over.
  const topology = { ...defaultTopology(), lanes: { ...defaultTopology().lanes, ping: 2 } };
  sandbox = await startTestSandbox(
    {
      surge: { intervalMs: 150, coolDownMs: 400 },
      createApp: (config, deps) => {
        const app = createChatApp(config, { ...deps, loadCacheMs: 50 });
        return {
          ...app,
          message: async (event: WebSocketEvent) => {
            if (event.requestContext.routeKey === 'ping') await new Promise((r) => setTimeout(r, PING_MS));
            return app.message(event);
          },
        };
      },
    },
    topology,
  );
  target = sandboxTarget(sandbox.topology, sandbox.state);
});
afterAll(async () => {
  await sandbox?.stop();
});

async function levelOf(region: string): Promise<{ level: LoadLevel; setBy: string | null; reason?: string }> {
  return (await trafficStatus(target, { region })).regions[0];
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('surge service (in-process, on handler counters)', { timeout: 60_000 }, () => {
  it("rehearsal lanes: a region runs with them in place of the topology's until cleared; other regions keep the topology's", async () => {
    const topology = { ...defaultTopology(), lanes: { send: 3 } };
    const surge = new RegionLanes(() => topology);
    const slow = () => new Promise((r) => setTimeout(() => r({ statusCode: 200 }), 30));
    const factory = surge.counting(async () => ({ message: slow }) as never);
    const na = await factory({ regionKey: 'na' } as never, {} as never);
    const tokyo = await factory({ regionKey: 'tokyo' } as never, {} as never);
    const send = { requestContext: { routeKey: 'send' } } as never;
    const burst = async (app: typeof na) =>
      (await Promise.allSettled([1, 2, 3].map(() => app.message(send)))).map((o) => o.status);

    expect(surge.setRehearsalLanes('na', { send: 1 })).toEqual({ send: 1 });
    expect(await burst(na)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(await burst(tokyo)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(surge.rehearsals()).toEqual({ na: { send: 1 } });
    expect(surge.setRehearsalLanes('na', null)).toEqual({ send: 3 });
    expect(await burst(na)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
  });

  it('rehearsal lanes: the control API sets and clears them, and refuses an unknown region, route or size', async () => {
    const set = (body: { region: string; lanes: Record<string, unknown> | null }) =>
      control<'surgeLanes'>(sandbox.state, 'POST', '/surge/lanes', body as never);
    expect(await set({ region: 'tokyo', lanes: { ping: 1 } })).toEqual({
      region: 'tokyo',
      lanes: { ping: 1 },
      rehearsal: true,
    });
    expect(sandbox.lanes.lanes('tokyo')).toEqual({ ping: 1 });
    expect(sandbox.lanes.lanes('seoul')).toEqual(sandbox.topology.lanes);
    await expect(set({ region: 'paris', lanes: { ping: 1 } })).rejects.toThrow(/no region "paris"/);
    await expect(set({ region: 'tokyo', lanes: { pong: 1 } })).rejects.toThrow(/no route "pong"/);
    await expect(set({ region: 'tokyo', lanes: { ping: 0 } })).rejects.toThrow(/at least 1, not 0/);
    expect((await set({ region: 'tokyo', lanes: null })).rehearsal).toBe(false);
    expect(sandbox.lanes.lanes('tokyo')).toEqual(sandbox.topology.lanes);
  });

  it('auto: a full lane raises the level in that region only; when the burst ends it comes back to 0', async () => {
    await setTrafficAuto(target, true, { region: 'tokyo' });
    expect(await levelOf('tokyo')).toMatchObject({ level: 0 });
    const sockets = await Promise.all(
      [0, 1].map((i) =>
        ChatClient.connect({
          url: target.region('tokyo').websocketUrl,
          token: target.token(`u-burst-${i}`, 60),
          timeoutMs: 5000,
        }),
      ),
    );
    let bursting = true;
    const burst = Promise.all(
      sockets.map(async (socket) => {
        while (bursting) {
          socket.sendFrame({ action: 'ping' });
          socket.sendFrame({ action: 'ping' });
          await socket.next((f) => f.type === 'pong', 5000);
          await socket.next((f) => f.type === 'pong', 5000);
        }
      }),
    );
    try {
      const raised = await until(
        () => levelOf('tokyo'),
        (r) => r.level === 3,
        15_000,
      );
      expect(raised).toMatchObject({ level: 3, setBy: 'auto' });
      expect(raised.reason).toMatch(/^auto: ping at 100% of its lane/);
      // Level 3 sheds new connections (the handlers read the level through a 50 ms cache); only tokyo has auto on.
      await new Promise((r) => setTimeout(r, 100));
      await expect(
        ChatClient.connect({
          url: target.region('tokyo').websocketUrl,
          token: target.token('u-late', 60),
          timeoutMs: 5000,
        }),
      ).rejects.toThrow(/HTTP 429/);
      expect(await levelOf('seoul')).toMatchObject({ level: 0, setBy: null });
    } finally {
      bursting = false;
      await burst.catch(() => {});
      for (const socket of sockets) void socket.close();
    }
    // 3 -> 2 -> 1 -> 0, one step per cool-down (400 ms) once the lane is calm.
    const seen: number[] = [];
    const back = await until(
      async () => {
        const r = await levelOf('tokyo');
        if (seen.at(-1) !== r.level) seen.push(r.level);
        return r;
      },
      (r) => r.level === 0,
      15_000,
    );
    expect(back).toMatchObject({ level: 0, setBy: 'auto' });
    expect(back.reason).toMatch(/^auto: calm for the cool-down/);
    // Never back up once the burst is over: the levels seen only go down.
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    await setTrafficAuto(target, false, { region: 'tokyo' });
  });
});

describe('surge service: replication lag', { timeout: 60_000 }, () => {
  /** What a fresh member of `roomId` in `region` is told in `joined` of the region's replication lag. */
  async function joinedLag(region: string, roomId: string): Promise<unknown> {
    const client = await connect(sandbox.regions.get(region)!.websocketUrl, `lag-${region}`);
    try {
      client.send({ action: 'join', roomId });
      const joined = await client.next((f) => f.type === 'joined' && f.roomId === roomId, 10_000);
      return joined.replicationLagMs;
    } finally {
      await client.close();
    }
  }

  it('surge controller: joined reports the replication lag into the region: small when healthy, past the pause while its replication is paused, small again once healed', async () => {
    const roomId = `lag-${Date.now()}`;
    let lag: unknown;
    await eventually(
      async () => {
        lag = await joinedLag('tokyo', roomId);
        return typeof lag === 'number';
      },
      10_000,
      200,
    );
    expect(lag).toBeLessThan(1000);
    sandbox.faults.inject('tokyo', { kind: 'replication-pause' });
    try {
      const pausedAt = Date.now();
      // A write in seoul that tokyo's replica does not get while the pause lasts.
      await joinedLag('seoul', roomId);
      await eventually(
        async () => {
          lag = await joinedLag('tokyo', roomId);
          return typeof lag === 'number' && lag >= 2000;
        },
        20_000,
        200,
      );
      expect(lag).toBeLessThanOrEqual(Date.now() - pausedAt);
    } finally {
      sandbox.faults.heal('tokyo', 'replication-pause');
    }
    await eventually(
      async () => {
        lag = await joinedLag('tokyo', roomId);
        return typeof lag === 'number' && lag < 1000;
      },
      20_000,
      200,
    );
  });
});
