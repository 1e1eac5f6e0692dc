import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../../cli/ops/target.js';
import {
  parseLevel,
  setTrafficAuto,
  setTrafficLevel,
  trafficStatus,
} from '../../../../cli/ops/traffic/index.js';
import { names } from '../../../../core/names.js';
import { LOAD_LEVELS, type ServerFrame } from '../../../../core/protocol.js';
import { createChatApp } from '../../../../runtime/app.js';
import { ChatClient } from '../../../../runtime/chat-client/client.js';
import type { Utilization } from '../../../../runtime/surge/controller.js';
import { dynamoLevelStore, runController } from '../../../../runtime/surge/run.js';
import type { Sandbox } from '../../../../sandbox/index.js';
import { startDrillSandbox } from '../drill/support.js';

let sandbox: Sandbox;
let target: Target;

beforeAll(async () => {
  ({ sandbox, target } = await startDrillSandbox({
    globalServices: false,
    // The test runs the controller itself, on a given reading; the sandbox's own loop stays out of the way.
    surge: false,
    // The handlers read the level through a short cache, so the test sees a change quickly.
    createApp: (config) => createChatApp(config, { loadCacheMs: 100 }),
  }));
});
afterAll(async () => {
  await sandbox?.stop();
});

async function member(region: string, roomId: string, user: string): Promise<ChatClient> {
  const socket = await ChatClient.connect({
    url: target.region(region).websocketUrl,
    token: target.token(user, 600),
    timeoutMs: 5000,
  });
  socket.sendFrame({ action: 'join', roomId });
  await socket.next((f) => f.type === 'joined', 5000);
  return socket;
}

/** Sends a reaction and returns what the server answered: the broadcast reaction or an error. */
async function react(
  socket: ChatClient,
  roomId: string,
  messageId: string,
  emoji: string,
): Promise<ServerFrame> {
  socket.sendFrame({ action: 'react', roomId, messageId, emoji });
  return socket.next((f) => (f.type === 'reaction' && f.emoji === emoji) || f.type === 'error', 5000);
}

describe('traffic levels against the sandbox', { timeout: 90_000 }, () => {
  it('traffic level: level 2 in one region makes it shed reactions while sends and other regions are served', async () => {
    const roomId = `traffic-${Date.now().toString(36)}`;
    const tokyo = await member('tokyo', roomId, 'u-tokyo');
    const seoul = await member('seoul', roomId, 'u-seoul');
    try {
      tokyo.sendFrame({ action: 'send', roomId, text: 'hello', clientMsgId: 'm1' });
      const ack = await tokyo.next((f) => f.type === 'ack', 5000);
      const messageId = ack.type === 'ack' ? ack.messageId : '';
      expect((await react(tokyo, roomId, messageId, '👍')).type).toBe('reaction');

      const set = await setTrafficLevel(target, 2, { region: 'tokyo', reason: 'test surge' });
      expect(set.regions).toEqual([
        expect.objectContaining({ region: 'tokyo', level: 2, previous: 0, sheds: LOAD_LEVELS[2] }),
      ]);
      const status = await trafficStatus(target);
      expect(status.regions.map((r) => [r.region, r.level])).toEqual([
        ['seoul', 0],
        ['tokyo', 2],
        ['na', 0],
      ]);
      expect(status.regions[1].reason).toBe('test surge');

      // Within the handlers' cache time, tokyo starts shedding reactions (an OVERLOADED error with retry-after).
      let shed: ServerFrame | undefined;
      for (let i = 0; i < 50 && shed?.type !== 'error'; i++) {
        shed = await react(tokyo, roomId, messageId, i % 2 === 0 ? '🔥' : '👏');
        if (shed.type !== 'error') await new Promise((r) => setTimeout(r, 100));
      }
      expect(shed).toMatchObject({ type: 'error', code: 'OVERLOADED' });
      // send is never shed; seoul (level 0) still serves reactions.
      tokyo.sendFrame({ action: 'send', roomId, text: 'still here', clientMsgId: 'm2' });
      expect((await tokyo.next((f) => f.type === 'ack' || f.type === 'error', 5000)).type).toBe('ack');
      expect((await react(seoul, roomId, messageId, '🎉')).type).toBe('reaction');

      const back = await setTrafficLevel(target, 0);
      expect(back.regions.map((r) => [r.region, r.previous, r.level])).toEqual([
        ['seoul', 0, 0],
        ['tokyo', 2, 0],
        ['na', 0, 0],
      ]);
    } finally {
      tokyo.close();
      seoul.close();
    }
  });

  it('traffic level: a level outside 0-3 is refused with the levels listed', () => {
    expect(() => parseLevel('4')).toThrow(/"4" is not a load level/);
    expect(() => parseLevel('two')).toThrow(/not a load level/);
    expect(parseLevel('3')).toBe(3);
  });

  it('traffic auto: on with a max, the controller raises within it, the operator overrides, auto on releases, off holds', async () => {
    const spec = target.topology.regions.find((r) => r.key === 'na')!;
    const client = new DynamoDBClient(target.clientConfig(spec.awsRegion));
    // The sandbox's own lane counters are not wired yet: the controller runs in-process on a given reading.
    const hot = async (now: number): Promise<Utilization> => ({
      at: now,
      lanes: [
        { route: 'connect', concurrency: 95, reserved: 100, throttles: 3, invocations: 400, errors: 0 },
      ],
    });
    const controller = () =>
      runController('na', {
        store: dynamoLevelStore(client, names.table(target.topology), 'na'),
        readUtilization: hot,
      });
    try {
      const on = await setTrafficAuto(target, true, { region: 'na', maxLevel: 2 });
      expect(on.regions).toEqual([
        expect.objectContaining({
          region: 'na',
          auto: { enabled: true, maxLevel: 2 },
          setBy: 'auto',
          level: 0,
        }),
      ]);
      expect((await controller()).written).toBe(true);
      let na = (await trafficStatus(target, { region: 'na' })).regions[0];
      expect(na).toMatchObject({ level: 2, setBy: 'auto', auto: { enabled: true, maxLevel: 2 } });
      expect(na.reason).toMatch(
        /^auto: connect at 100% of its lane, errors 0%, 3 throttled \(wanted 3, capped/,
      );
      expect(na.figures).toMatchObject({ hottest: 'connect', pressure: 1, throttles: 3 });
      // The other regions were not touched.
      expect((await trafficStatus(target, { region: 'seoul' })).regions[0].auto.enabled).toBe(false);

      await setTrafficLevel(target, 1, { region: 'na', reason: 'on-call: hold at 1' });
      expect((await controller()).written).toBe(false);
      na = (await trafficStatus(target, { region: 'na' })).regions[0];
      expect(na).toMatchObject({ level: 1, setBy: 'operator', reason: 'on-call: hold at 1' });
      expect(na.figures).toBeUndefined();

      await setTrafficAuto(target, true, { region: 'na' });
      expect((await controller()).decision).toMatchObject({ action: 'raise', level: 2 });
      const off = await setTrafficAuto(target, false, { region: 'na' });
      expect(off.regions[0]).toMatchObject({ level: 2, auto: { enabled: false, maxLevel: 2 } });
      expect((await controller()).decision).toMatchObject({ action: 'hold', level: 2 });
    } finally {
      await setTrafficLevel(target, 0, { region: 'na' });
      client.destroy();
    }
  });
});
