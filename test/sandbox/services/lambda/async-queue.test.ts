/**
 * Lambda's queue of Event invocations (sandbox/services/lambda/async-queue.ts) on its own, with short waits: a
 * failing run is retried maxRetryAttempts times then given up (RetriesExhausted), a throttled event is retried
 * until its maximum age (EventAgeExceeded) and runs once the throttle lifts, and a stop ends every wait.
 */
import { describe, expect, it } from 'vitest';
import {
  type AsyncConfig,
  AsyncQueue,
  type DestinationRecord,
  type QueuedEvent,
} from '../../../../sandbox/services/lambda/async-queue.js';

const TIMING = { retryDelaysMs: [50, 100], throttleFirstMs: 20, throttleMaxMs: 80 };
const RELAY: AsyncConfig = { maxEventAgeMs: 600, maxRetryAttempts: 2, onFailure: 'chat-tokyo-relay-failed' };

function harness() {
  const failures: { record: DestinationRecord; destination?: string }[] = [];
  const retries: { why: string; at: number }[] = [];
  const queue = new AsyncQueue(TIMING, {
    onFailure: (record, destination) => failures.push({ record, destination }),
    onRetry: (_event, why) => retries.push({ why, at: Date.now() }),
  });
  return { queue, failures, retries };
}

function event(overrides: Partial<QueuedEvent>): QueuedEvent {
  return {
    requestId: 'req-1',
    functionArn: 'arn:aws:lambda:ap-northeast-1:000000000000:function:chat-tokyo-relay',
    payload: { roomId: 'r' },
    receivedAt: Date.now(),
    config: RELAY,
    run: async () => ({ ok: true }),
    throttled: () => false,
    ...overrides,
  };
}

describe('lambda async queue', () => {
  it('async queue: a run that fails is retried twice after the retry delays, then given up as RetriesExhausted with its error', async () => {
    const { queue, failures, retries } = harness();
    const runs: number[] = [];
    const started = Date.now();
    await queue.process(
      event({
        run: async () => {
          runs.push(Date.now() - started);
          throw Object.assign(new Error('the table is gone'), { name: 'ResourceNotFoundException' });
        },
      }),
    );
    expect(runs).toHaveLength(3);
    expect(runs[1] - runs[0]).toBeGreaterThanOrEqual(45);
    expect(runs[2] - runs[1]).toBeGreaterThanOrEqual(95);
    expect(retries.map((r) => r.why)).toEqual([
      'function error (ResourceNotFoundException: the table is gone)',
      'function error (ResourceNotFoundException: the table is gone)',
    ]);
    expect(failures).toHaveLength(1);
    expect(failures[0].destination).toBe('chat-tokyo-relay-failed');
    expect(failures[0].record).toMatchObject({
      version: '1.0',
      requestContext: {
        requestId: 'req-1',
        functionArn: 'arn:aws:lambda:ap-northeast-1:000000000000:function:chat-tokyo-relay:$LATEST',
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: { roomId: 'r' },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'ResourceNotFoundException', errorMessage: 'the table is gone' },
    });
  });

  it('async queue: a throttled event is tried again with doubling waits (not counted as retries) until its maximum age, then given up as EventAgeExceeded', async () => {
    const { queue, failures, retries } = harness();
    let runs = 0;
    const started = Date.now();
    await queue.process(
      event({
        throttled: () => true,
        run: async () => {
          runs++;
        },
      }),
    );
    const took = Date.now() - started;
    expect(runs).toBe(0);
    expect(took).toBeGreaterThanOrEqual(RELAY.maxEventAgeMs);
    // 20, 40, 80, 80, ... ms: many more tries than the two retries a failure gets.
    expect(retries.length).toBeGreaterThan(RELAY.maxRetryAttempts);
    expect(retries.every((r) => r.why.startsWith('throttled'))).toBe(true);
    expect(failures.map((f) => f.record.requestContext)).toEqual([
      expect.objectContaining({ condition: 'EventAgeExceeded', approximateInvokeCount: 0 }),
    ]);
    expect(failures[0].record.responseContext).toBeUndefined();
  });

  it('async queue: a throttle that lifts within the age limit lets the event run once, nothing given up', async () => {
    const { queue, failures } = harness();
    const liftAt = Date.now() + 150;
    let runs = 0;
    await queue.process(
      event({
        throttled: () => Date.now() < liftAt,
        run: async () => {
          runs++;
        },
      }),
    );
    expect(runs).toBe(1);
    expect(failures).toEqual([]);
  });

  it("async queue: a lane's throttle thrown by the run is retried like the throttle fault, and an event already too old is given up without running", async () => {
    const { queue, failures } = harness();
    let calls = 0;
    await queue.process(
      event({
        run: async () => {
          calls++;
          if (calls < 3) throw Object.assign(new Error('Rate Exceeded.'), { throttled: true });
        },
      }),
    );
    expect(calls).toBe(3);
    expect(failures).toEqual([]);
    let ran = false;
    await queue.process(
      event({
        receivedAt: Date.now() - RELAY.maxEventAgeMs - 1,
        run: async () => {
          ran = true;
        },
      }),
    );
    expect(ran).toBe(false);
    expect(failures[0].record.requestContext.condition).toBe('EventAgeExceeded');
  });

  it('async queue: stop ends every wait at once', async () => {
    const { queue } = harness();
    const slow = new AsyncQueue(
      { ...TIMING, retryDelaysMs: [60_000] },
      { onFailure: () => {}, onRetry: () => {} },
    );
    const started = Date.now();
    const waiting = slow.process(
      event({
        run: async () => {
          throw new Error('fails');
        },
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    slow.stop();
    await waiting;
    expect(Date.now() - started).toBeLessThan(5000);
    queue.stop();
  });
});
