/**
 * The relay's queued invocations bounded, on a sandbox whose Lambda waits are short (the relay's maximum event
 * age 6 s instead of 300 s): the `throttle` fault answers a synchronous Invoke with TooManyRequestsException
 * as AWS does; a push that missed its budget waits in tokyo's queue while tokyo is throttled and is posted once
 * when it heals; past the age limit it goes to the relay's failure queue and the region's alarm fires; and the
 * relay itself drops a frame broadcast longer ago than its age limit. Through the unmodified AWS SDK clients.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { clientIdClock } from '../../../../core/message-id.js';
import { names } from '../../../../core/names.js';
import { RELAY_MAX_AGE_MS } from '../../../../core/relay-async.js';
import type { Sandbox } from '../../../../sandbox/index.js';
import type { LambdaView } from '../../../../sandbox/services/lambda/index.js';
import { eventually } from '../../../support/eventually.js';
import { clientConfig, joinedMember, startTestSandbox, uniqueRoom } from '../../support.js';
import type { TestClient } from '../../ws-client.js';

const MAX_EVENT_AGE_MS = 6000;
let sandbox: Sandbox;
let lambdaTokyo: LambdaClient;
let cloudwatchTokyo: CloudWatchClient;
const open: TestClient[] = [];
const nextClientId = clientIdClock();

beforeAll(async () => {
  sandbox = await startTestSandbox({
    lambdaAsync: { relayMaxEventAgeMs: MAX_EVENT_AGE_MS, throttleFirstMs: 100, throttleMaxMs: 400 },
    metricsIntervalMs: 200,
  });
  lambdaTokyo = new LambdaClient(clientConfig(sandbox, 'ap-northeast-1'));
  cloudwatchTokyo = new CloudWatchClient(clientConfig(sandbox, 'ap-northeast-1'));
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  lambdaTokyo?.destroy();
  cloudwatchTokyo?.destroy();
  await sandbox?.stop();
});

const lambda = () => sandbox.service('lambda') as unknown as LambdaView;
const room = uniqueRoom;
const member = (region: string, userId: string, roomId: string) =>
  joinedMember(sandbox, open, region, userId, roomId);

async function say(client: TestClient, roomId: string, text: string) {
  const clientMsgId = nextClientId();
  client.send({ action: 'send', roomId, text, clientMsgId });
  return client.next(
    (f) => f.clientMsgId === clientMsgId && (f.type === 'ack' || f.type === 'error'),
    30_000,
  );
}

const pushedIds = (client: TestClient, roomId: string) =>
  client.frames
    .filter((f) => f.type === 'message' && (f.message as { roomId: string }).roomId === roomId)
    .map((f) => (f.message as { messageId: string }).messageId);

describe('relay async invocations', () => {
  it('throttle: a synchronous Invoke of a throttled region answers 429 TooManyRequestsException, as Lambda does; healed, it runs', async () => {
    const invoke = new InvokeCommand({
      FunctionName: names.relayFunction(sandbox.topology, 'tokyo'),
      Payload: Buffer.from(JSON.stringify({ dryRun: true })),
    });
    sandbox.faults.inject('tokyo', 'throttle');
    try {
      const error = await lambdaTokyo.send(invoke).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TooManyRequestsException);
      expect(error).toMatchObject({
        $metadata: { httpStatusCode: 429 },
        Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
        Type: 'User',
      });
    } finally {
      sandbox.faults.heal('tokyo', 'throttle');
    }
    const answer = await lambdaTokyo.send(invoke);
    expect(JSON.parse(Buffer.from(answer.Payload ?? []).toString('utf8'))).toMatchObject({ ok: true });
  });

  it('throttle: a push into a throttled tokyo is acked, waits in the queue (retried), and is posted once when tokyo heals', async () => {
    const roomId = room('queued');
    const sender = await member('seoul', 'mina', roomId);
    const far = await member('tokyo', 'taro', roomId);
    await sandbox.replication.settle();
    sandbox.faults.inject('tokyo', 'throttle');
    let ack: Record<string, unknown>;
    try {
      // Acked though tokyo refused the push (its budget: test/sandbox/chat-timing.test.ts).
      ack = await say(sender, roomId, 'wait for me');
      expect(ack.type).toBe('ack');
      // Queued in tokyo's Lambda, not lost, not posted while throttled.
      await eventually(() => lambda().inFlight() > 0, 5000);
      expect(pushedIds(far, roomId)).not.toContain(ack.messageId);
    } finally {
      sandbox.faults.heal('tokyo', 'throttle');
    }
    await eventually(() => pushedIds(far, roomId).includes(ack.messageId as string), 5000);
    await eventually(() => lambda().inFlight() === 0, 10_000);
    expect(pushedIds(far, roomId).filter((id) => id === ack.messageId)).toHaveLength(1);
    expect(lambda().failedEvents('tokyo')).toEqual([]);
  });

  it("age limit: a push queued in a throttled tokyo past the relay's maximum event age goes to tokyo's failure queue (EventAgeExceeded), is never posted, and the relay-failed-events alarm fires", async () => {
    const roomId = room('aged');
    const sender = await member('seoul', 'jin', roomId);
    const far = await member('tokyo', 'ken', roomId);
    await sandbox.replication.settle();
    sandbox.faults.inject('tokyo', 'throttle');
    let ack: Record<string, unknown>;
    try {
      ack = await say(sender, roomId, 'too late');
      await eventually(
        () =>
          lambda()
            .failedEvents('tokyo')
            .some(
              (f) =>
                (f.record.requestPayload as { message?: { messageId?: string } }).message?.messageId ===
                ack.messageId,
            ),
        MAX_EVENT_AGE_MS + 10_000,
      );
    } finally {
      sandbox.faults.heal('tokyo', 'throttle');
    }
    const [failed] = lambda().failedEvents('tokyo');
    expect(failed).toMatchObject({
      functionName: names.relayFunction(sandbox.topology, 'tokyo'),
      destination: names.relayFailureQueue(sandbox.topology, 'tokyo'),
      record: { requestContext: { condition: 'EventAgeExceeded', approximateInvokeCount: 0 } },
    });
    await eventually(() => lambda().inFlight() === 0, 10_000);
    expect(pushedIds(far, roomId)).not.toContain(ack.messageId);
    const alarmName = `${names.alarmPrefix(sandbox.topology, 'tokyo')}relay-failed-events`;
    await eventually(async () => {
      const { MetricAlarms } = await cloudwatchTokyo.send(
        new DescribeAlarmsCommand({ AlarmNames: [alarmName] }),
      );
      return MetricAlarms?.[0]?.StateValue === 'ALARM';
    }, 30_000);
  }, 60_000);

  it('age limit: the relay drops a frame broadcast longer ago than its age limit and says so in its log; a fresh one is posted', async () => {
    const roomId = room('stale');
    const far = await member('tokyo', 'yui', roomId);
    const frame = (messageId: string) => ({
      type: 'message',
      message: { roomId, messageId, userId: 'ghost', text: 'old news', sentAt: Date.now(), region: 'seoul' },
    });
    const relay = (messageId: string, sentAt: number) =>
      lambdaTokyo.send(
        new InvokeCommand({
          FunctionName: names.relayFunction(sandbox.topology, 'tokyo'),
          Payload: Buffer.from(
            JSON.stringify({
              relayId: `m-${messageId}`,
              roomId,
              originRegion: 'seoul',
              sentAt,
              frame: frame(messageId),
            }),
          ),
        }),
      );
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const stale = await relay('01KAAAAAAAAAAAAAAAAAAAAAAA', Date.now() - RELAY_MAX_AGE_MS - 1000);
      expect(JSON.parse(Buffer.from(stale.Payload ?? []).toString('utf8'))).toEqual({
        ok: true,
        region: 'tokyo',
        dropped: true,
      });
      expect(warn.mock.calls.map((c) => String(c[0]))).toContainEqual(
        expect.stringMatching(/^dropping a relay into .* from seoul .*past the relay's age limit of 300 s/),
      );
    } finally {
      warn.mockRestore();
    }
    const fresh = await relay('01KAAAAAAAAAAAAAAAAAAAAAAB', Date.now() - 1000);
    expect(JSON.parse(Buffer.from(fresh.Payload ?? []).toString('utf8'))).toMatchObject({
      ok: true,
      delivered: 1,
    });
    await eventually(() => pushedIds(far, roomId).includes('01KAAAAAAAAAAAAAAAAAAAAAAB'), 5000);
    expect(pushedIds(far, roomId)).not.toContain('01KAAAAAAAAAAAAAAAAAAAAAAA');
  });
});
