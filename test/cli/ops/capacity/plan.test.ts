import { describe, expect, it } from 'vitest';
import { sendCost } from '../../../../cli/ops/capacity/costs.js';
import { resolveCapacityInput } from '../../../../cli/ops/capacity/input.js';
import { planCapacity } from '../../../../cli/ops/capacity/plan.js';
import { PRICES } from '../../../../cli/ops/capacity/prices.js';
import { defaultTopology, parseTopology, type Topology } from '../../../../core/topology.js';

const topology = defaultTopology();
// Connections and history set near zero, so that sends alone make the load.
const quiet = { connections: 0.001, connectRate: 0.000001, historyReadsPerMsg: 0 };
const onlySeoul = ['seoul=1', 'tokyo=0', 'na=0'];

function plan(
  flags: Parameters<typeof resolveCapacityInput>[1],
  t: Topology = topology,
  accountConcurrency?: Record<string, number>,
) {
  return planCapacity(t, resolveCapacityInput(t, flags), { accountConcurrency });
}
const region = (p: ReturnType<typeof plan>, key: string) => p.regions.find((r) => r.key === key)!;
const quota = (p: ReturnType<typeof plan>, key: string, name: string) =>
  p.quotas.find((q) => q.region === key && q.quota === name)!;

describe('capacity plan', () => {
  it('capacity plan: a same-region room of 10 makes 11 posts and the write units of the table per message, replicated once per other replica', () => {
    const p = plan({ peakMsgs: 1000, avgRoom: 10, crossRegionShare: 0, regionShare: onlySeoul, ...quiet });
    const seoul = region(p, 'seoul');
    const cost = sendCost({
      localMembers: 10,
      remoteRegions: 0,
      membersPerRemoteRegion: 0,
      textBytes: 100,
    }).origin;
    expect(seoul.postsPerSec).toBeCloseTo(1000 * cost.calls['apigateway:PostToConnection']!, 0);
    expect(seoul.postsPerSec).toBeCloseTo(11_000, 0);
    expect(seoul.writeUnitsPerSec).toBeCloseTo(1000 * cost.writeUnits, 0);
    expect(seoul.relayInvokesPerSec).toBe(0);
    // Seoul's one item per message (the message; a lone send records no order) reaches Tokyo and North
    // America once each.
    expect(region(p, 'tokyo').replicatedWritesPerSec).toBeCloseTo(1000, 0);
    expect(region(p, 'na').replicatedWritesPerSec).toBeCloseTo(1000, 0);
    expect(seoul.replicatedWritesPerSec).toBeCloseTo(0, 1);
    expect(seoul.routes.find((r) => r.route === 'send')!.invocationsPerSec).toBe(1000);
  });

  it('capacity plan: cross-region messages relay half the room to another region, chosen by share', () => {
    const p = plan({
      peakMsgs: 1000,
      avgRoom: 10,
      crossRegionShare: 1,
      regionShare: ['seoul=0.5', 'tokyo=0.5', 'na=0'],
      ...quiet,
    });
    const [seoul, tokyo, na] = ['seoul', 'tokyo', 'na'].map((k) => region(p, k));
    // Every seoul message relays to tokyo (na has no share) and every tokyo message to seoul.
    expect(seoul.relayInvokesPerSec).toBeCloseTo(500, 5);
    expect(tokyo.relayInvokesPerSec).toBeCloseTo(500, 5);
    expect(na.relayInvokesPerSec).toBe(0);
    expect(tokyo.routes.find((r) => r.route === 'relay')!.invocationsPerSec).toBeCloseTo(500, 5);
    // Own sends: ack + 5 local members; relayed in: 5 members.
    expect(tokyo.postsPerSec).toBeCloseTo(500 * 6 + 500 * 5, 0);
    expect(na.postsPerSec).toBeCloseTo(0, 1);
    expect(seoul.interRegionBytesPerSec).toBeGreaterThan(
      500 *
        sendCost({ localMembers: 5, remoteRegions: 1, membersPerRemoteRegion: 5, textBytes: 100 }).origin
          .invokeBytes,
    );
  });

  it('capacity plan: the connect-rate quota is near at 400/s, still near at 500/s and over at 501/s', () => {
    const at = (rate: number) =>
      quota(
        plan({ peakMsgs: 1, connections: 1, connectRate: rate, regionShare: onlySeoul }),
        'seoul',
        'wsConnectRate',
      );
    expect(at(399).verdict).toBe('ok');
    expect(at(400).verdict).toBe('near');
    expect(at(500).verdict).toBe('near');
    expect(at(501)).toMatchObject({
      verdict: 'over',
      name: 'WebSocket new connections rate',
      code: 'L-9ED1E49A',
      limit: 500,
      request: 630,
    });
    // Connections must be renewed every 2 hours: 3.6 million connections need 500 connects/s; a few more, over.
    expect(
      quota(
        plan({ peakMsgs: 1, connections: 3_600_036, connectRate: 1, regionShare: onlySeoul }),
        'seoul',
        'wsConnectRate',
      ).verdict,
    ).toBe('over');
  });

  it("capacity plan: Lambda's quota is the account's when read, and the lanes get 25% headroom over the need", () => {
    const flags = { peakMsgs: 20_000, avgRoom: 8, regionShare: onlySeoul, ...quiet };
    const p = plan(flags);
    const send = region(p, 'seoul').routes.find((r) => r.route === 'send')!;
    expect(send.concurrency).toBeCloseTo((20_000 * send.durationMs) / 1000, 0);
    expect(send.recommendedLane).toBe(Math.ceil(send.concurrency * 1.25));
    expect(send.currentLane).toBe(200);
    expect(send.laneVerdict).toBe(send.concurrency > 200 ? 'over' : send.concurrency >= 160 ? 'near' : 'ok');
    const lambda = quota(p, 'seoul', 'lambdaConcurrency');
    expect(lambda).toMatchObject({ limit: 1000, limitFrom: 'default', name: 'Concurrent executions' });
    const read = quota(plan(flags, topology, { 'ap-northeast-2': 5000 }), 'seoul', 'lambdaConcurrency');
    expect(read).toMatchObject({ limit: 5000, limitFrom: 'account' });
  });

  it('capacity plan: the table write quota counts replicated writes; a region with no price is not costed', () => {
    const p = plan({ peakMsgs: 10_000, avgRoom: 8, crossRegionShare: 0, ...quiet });
    const tokyo = region(p, 'tokyo');
    expect(quota(p, 'tokyo', 'tableWrites').need).toBeCloseTo(
      tokyo.writeUnitsPerSec + tokyo.replicatedWritesPerSec,
      0,
    );
    const withSydney = parseTopology({
      ...topology,
      regions: [
        ...topology.regions,
        { key: 'sydney', awsRegion: 'ap-southeast-2', probeSubnet: '1.120.0.0/24' },
      ],
    });
    const q = plan({ peakMsgs: 10_000, ...quiet }, withSydney);
    expect(q.unpricedRegions).toEqual(['sydney (ap-southeast-2)']);
    expect(q.costs.find((c) => c.key === 'sydney')!.total).toBeUndefined();
    expect(q.totalMonthlyUsd).toBeCloseTo(
      q.costs.reduce((n, c) => n + (c.total ?? 0), 0),
      1,
    );
  });

  it("capacity plan: DynamoDB's month is the peak's units at the average-to-peak ratio, at the table's prices", () => {
    const p = plan({
      peakMsgs: 1000,
      avgRoom: 10,
      crossRegionShare: 0,
      regionShare: onlySeoul,
      avgToPeak: 0.5,
      ...quiet,
    });
    const seoul = region(p, 'seoul');
    const prices = PRICES['ap-northeast-2'];
    const month = 730 * 3600 * 0.5;
    const expected =
      ((seoul.writeUnitsPerSec * prices.dynamoWriteRequestUnits.usd +
        seoul.readUnitsPerSec * prices.dynamoReadRequestUnits.usd) *
        month) /
      1e6;
    expect(p.costs.find((c) => c.key === 'seoul')!.dynamodb).toBeCloseTo(expected, 0);
    const tokyo = p.costs.find((c) => c.key === 'tokyo')!;
    expect(tokyo.dynamodb).toBeCloseTo(
      (region(p, 'tokyo').replicatedWritesPerSec *
        PRICES['ap-northeast-1'].dynamoReplicatedWriteRequestUnits.usd *
        month) /
        1e6,
      0,
    );
  });

  it('capacity prices: every price of the table says where it came from and when', () => {
    for (const [awsRegion, prices] of Object.entries(PRICES)) {
      for (const [item, price] of Object.entries(prices)) {
        expect(price.usd, `${awsRegion} ${item}`).toBeGreaterThan(0);
        expect(price.source.length, `${awsRegion} ${item}`).toBeGreaterThan(10);
        expect(price.date, `${awsRegion} ${item}`).toMatch(/^\d{4}(-\d{2}){0,2}$/);
      }
    }
    expect(Object.keys(PRICES)).toEqual(
      expect.arrayContaining(['ap-northeast-2', 'ap-northeast-1', 'us-west-2']),
    );
  });
});
