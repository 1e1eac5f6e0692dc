// Each region's handler counters and lanes (sandbox/lanes.ts): every handler call counted per route with its peak
// concurrency, and an invocation beyond a route's reserved concurrency throttled as Lambda throttles it.
import { describe, expect, it } from 'vitest';
import { countingApp, LaneCounters } from '../../sandbox/lanes.js';

describe('lanes', () => {
  it('lanes: each handler call is counted in its route with its peak concurrency; a reading starts a new window', async () => {
    const counters = new LaneCounters();
    const slow = (result: unknown) => () => new Promise((r) => setTimeout(() => r(result), 30));
    const app = countingApp(
      {
        connect: slow({ statusCode: 200 }),
        disconnect: slow({ statusCode: 200 }),
        message: slow({ statusCode: 500 }),
        relay: slow({ ok: true }),
        health: slow({ statusCode: 200 }),
      } as never,
      counters,
    );
    const ping = { requestContext: { routeKey: 'ping' } } as never;
    await Promise.all([app.message(ping), app.message(ping), app.message(ping), app.connect({} as never)]);
    const lanes = { ping: 2, connect: 10, send: 5 };
    const reading = counters.read(lanes, 1000);
    expect(reading).toEqual({
      at: 1000,
      lanes: [
        { route: 'ping', concurrency: 3, reserved: 2, throttles: 0, invocations: 3, errors: 3 },
        { route: 'connect', concurrency: 1, reserved: 10, throttles: 0, invocations: 1, errors: 0 },
        { route: 'send', concurrency: 0, reserved: 5, throttles: 0, invocations: 0, errors: 0 },
      ],
    });
    expect(counters.read(lanes, 2000).lanes[0]).toMatchObject({ concurrency: 0, invocations: 0, errors: 0 });
  });

  it('lanes: an invocation beyond the lane is throttled (never run), counted in throttles and not in invocations', async () => {
    const counters = new LaneCounters();
    let ran = 0;
    const slow = () => () =>
      new Promise((r) => {
        ran++;
        setTimeout(() => r({ statusCode: 200 }), 30);
      });
    const app = countingApp({ message: slow() } as never, counters, () => ({ ping: 2 }));
    const ping = { requestContext: { routeKey: 'ping' } } as never;
    const outcomes = await Promise.allSettled([app.message(ping), app.message(ping), app.message(ping)]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ name: 'TooManyRequestsException' });
    expect(ran).toBe(2);
    expect(counters.read({ ping: 2 }, 1000).lanes[0]).toEqual({
      route: 'ping',
      concurrency: 2,
      reserved: 2,
      throttles: 1,
      invocations: 2,
      errors: 0,
    });
    // CloudWatch's sampling keeps its own window of the same calls.
    expect(counters.sample()[0]).toMatchObject({ route: 'ping', invocations: 2, throttles: 1, peak: 2 });
  });
});
